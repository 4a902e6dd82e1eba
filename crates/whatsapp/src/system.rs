//! System lines: the lines WhatsApp writes without an author (group created, member added,
//! disappearing messages turned on, …), in English, German, Spanish, French, Italian, Portuguese
//! and Dutch.
//!
//! Each phrase is a template with slots: `{A}` the actor, `{T}` the targets, `{O}` the old value,
//! `{N}` the new value and `{*}` text that is kept but not taken apart (the rest of a notice, a
//! timer). A template that starts with `!` is written by the owner's phone about the owner without
//! naming them (Spanish `Añadiste a Ana`, Italian `Hai aggiunto Ana`): the record gets no author and
//! the `FROM_OWNER` flag. A trailing full stop is ignored on both sides.
//!
//! The phrases are matched only on lines of at most [`MAX_SYSTEM_LEN`] bytes, because a system line
//! is short and matching is a backtracking search that must stay cheap on hostile input.

use onrecord_model::{EventDetail, EventKind};

/// Longest line tried against the phrase table.
pub const MAX_SYSTEM_LEN: usize = 4096;

/// Words the exports use for the owner of the phone in system lines ("You added Ana").
pub const OWNER_WORDS: &[&str] = &[
    "You", "you", "Du", "du", "Tú", "tú", "Vous", "vous", "Tu", "tu", "Você", "você", "Jij", "jij",
    "Je", "je", "U",
];

use EventKind::*;

/// The phrase table. Order matters: more specific phrases come before more general ones.
#[rustfmt::skip]
const PHRASES: &[(EventKind, &str)] = &[
    // ---- English
    (EncryptionNotice, "Messages and calls are end-to-end encrypted{*}"),
    (EncryptionNotice, "Messages you send to this group are now secured with end-to-end encryption{*}"),
    (EncryptionNotice, "Messages you send to this chat and calls are now secured with end-to-end encryption{*}"),
    (EncryptionNotice, "Messages to this group are now secured with end-to-end encryption{*}"),
    (EncryptionNotice, "Messages to this chat and calls are now secured with end-to-end encryption{*}"),
    (SecurityCodeChanged, "Your security code with {T} changed{*}"),
    (SecurityCodeChanged, "{T}'s security code changed{*}"),
    (DisappearingOn, "{A} turned on disappearing messages{*}"),
    (DisappearingOff, "{A} turned off disappearing messages{*}"),
    (DisappearingOn, "{A} set disappearing messages to {*}"),
    (GroupCreated, "{A} created group \"{N}\""),
    (GroupCreated, "{A} created group “{N}”"),
    (GroupCreated, "{A} created this group"),
    (SubjectChanged, "{A} changed the subject from \"{O}\" to \"{N}\""),
    (SubjectChanged, "{A} changed the subject from “{O}” to “{N}”"),
    (SubjectChanged, "{A} changed the subject to \"{N}\""),
    (SubjectChanged, "{A} changed the subject to “{N}”"),
    (SubjectChanged, "{A} changed the group name from \"{O}\" to \"{N}\""),
    (SubjectChanged, "{A} changed the group name to \"{N}\""),
    (IconChanged, "{A} changed this group's icon"),
    (IconChanged, "{A} changed the group icon"),
    (IconChanged, "{A} deleted this group's icon"),
    (DescriptionChanged, "{A} changed the group description"),
    (DescriptionChanged, "{A} deleted the group description"),
    (SettingsChanged, "{A} changed this group's settings{*}"),
    (SettingsChanged, "{A} changed the group settings{*}"),
    (SettingsChanged, "{A} changed the settings so {*}"),
    (AdminChanged, "You're now an admin"),
    (AdminChanged, "You're no longer an admin"),
    (NumberChanged, "{A} changed their phone number to a new number{*}"),
    (NumberChanged, "{A} changed their phone number{*}"),
    (NumberChanged, "{A} changed to +{N}"),
    (Blocked, "You blocked this contact{*}"),
    (Blocked, "You unblocked this contact{*}"),
    (Pinned, "{A} pinned a message"),
    (MemberJoined, "{A} joined using this group's invite link"),
    (MemberJoined, "{A} joined using this community's invite link"),
    (MemberJoined, "{A} joined using an invite link"),
    (MemberJoined, "{A} joined from the community"),
    (MemberAdded, "You were added"),
    (MemberAdded, "{T} was added"),
    (MemberAdded, "{T} were added"),
    (MemberRemoved, "You were removed"),
    (MemberAdded, "{A} added {T}"),
    (MemberRemoved, "{A} removed {T}"),
    (MemberLeft, "{A} left"),
    (MemberJoined, "{A} joined"),
    // ---- German
    (EncryptionNotice, "Nachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt{*}"),
    (EncryptionNotice, "Nachrichten, die du {*}Ende-zu-Ende-Verschlüsselung geschützt{*}"),
    (SecurityCodeChanged, "Dein Sicherheitscode für {T} hat sich geändert{*}"),
    (DisappearingOn, "{A} hat selbstlöschende Nachrichten aktiviert{*}"),
    (DisappearingOn, "{A} hast selbstlöschende Nachrichten aktiviert{*}"),
    (DisappearingOff, "{A} hat selbstlöschende Nachrichten deaktiviert{*}"),
    (DisappearingOff, "{A} hast selbstlöschende Nachrichten deaktiviert{*}"),
    (DisappearingOn, "{A} hat verschwindende Nachrichten aktiviert{*}"),
    (DisappearingOn, "{A} hast verschwindende Nachrichten aktiviert{*}"),
    (DisappearingOff, "{A} hat verschwindende Nachrichten deaktiviert{*}"),
    (DisappearingOff, "{A} hast verschwindende Nachrichten deaktiviert{*}"),
    (GroupCreated, "{A} hat die Gruppe \"{N}\" erstellt"),
    (GroupCreated, "{A} hast die Gruppe \"{N}\" erstellt"),
    (GroupCreated, "{A} hat die Gruppe „{N}“ erstellt"),
    (GroupCreated, "{A} hast die Gruppe „{N}“ erstellt"),
    (SubjectChanged, "{A} hat den Betreff von \"{O}\" zu \"{N}\" geändert"),
    (SubjectChanged, "{A} hast den Betreff von \"{O}\" zu \"{N}\" geändert"),
    (SubjectChanged, "{A} hat den Gruppennamen von \"{O}\" zu \"{N}\" geändert"),
    (SubjectChanged, "{A} hast den Gruppennamen von \"{O}\" zu \"{N}\" geändert"),
    (SubjectChanged, "{A} hat den Betreff zu \"{N}\" geändert"),
    (SubjectChanged, "{A} hast den Betreff zu \"{N}\" geändert"),
    (SubjectChanged, "{A} hat den Gruppennamen zu \"{N}\" geändert"),
    (SubjectChanged, "{A} hast den Gruppennamen zu \"{N}\" geändert"),
    (IconChanged, "{A} hat das Gruppenbild geändert"),
    (IconChanged, "{A} hast das Gruppenbild geändert"),
    (IconChanged, "{A} hat das Gruppenbild gelöscht"),
    (IconChanged, "{A} hast das Gruppenbild gelöscht"),
    (DescriptionChanged, "{A} hat die Gruppenbeschreibung geändert"),
    (DescriptionChanged, "{A} hast die Gruppenbeschreibung geändert"),
    (SettingsChanged, "{A} hat die Gruppeneinstellungen geändert{*}"),
    (SettingsChanged, "{A} hast die Gruppeneinstellungen geändert{*}"),
    (SettingsChanged, "{A} hat die Einstellungen dieser Gruppe geändert{*}"),
    (SettingsChanged, "{A} hast die Einstellungen dieser Gruppe geändert{*}"),
    (AdminChanged, "Du bist jetzt Admin{*}"),
    (AdminChanged, "Du bist jetzt ein Admin{*}"),
    (AdminChanged, "Du bist kein Admin mehr{*}"),
    (NumberChanged, "{A} hat die Telefonnummer geändert{*}"),
    (NumberChanged, "{A} hat zu +{N} gewechselt"),
    (NumberChanged, "{A} hat eine neue Telefonnummer{*}"),
    (Blocked, "Du hast diesen Kontakt blockiert{*}"),
    (Blocked, "Du hast diesen Kontakt freigegeben{*}"),
    (Blocked, "Du hast diesen Kontakt entsperrt{*}"),
    (MemberJoined, "{A} ist über den Einladungslink dieser Gruppe beigetreten"),
    (MemberJoined, "{A} bist über den Einladungslink dieser Gruppe beigetreten"),
    (MemberJoined, "{A} ist der Gruppe über den Einladungslink beigetreten"),
    (MemberJoined, "{A} ist über {*}Einladungslink beigetreten"),
    (MemberAdded, "Du wurdest hinzugefügt"),
    (MemberAdded, "{T} wurde hinzugefügt"),
    (MemberRemoved, "Du wurdest entfernt"),
    (MemberAdded, "{A} hat {T} hinzugefügt"),
    (MemberAdded, "{A} hast {T} hinzugefügt"),
    (MemberRemoved, "{A} hat {T} entfernt"),
    (MemberRemoved, "{A} hast {T} entfernt"),
    (MemberLeft, "{A} hat die Gruppe verlassen"),
    (MemberLeft, "{A} hast die Gruppe verlassen"),
    (MemberJoined, "{A} ist beigetreten"),
    // ---- Spanish
    (EncryptionNotice, "Los mensajes y las llamadas están cifrados de extremo a extremo{*}"),
    (EncryptionNotice, "Los mensajes {*}cifrado de extremo a extremo{*}"),
    (SecurityCodeChanged, "Tu código de seguridad con {T} cambió{*}"),
    (DisappearingOn, "{A} activó los mensajes temporales{*}"),
    (DisappearingOn, "!Activaste los mensajes temporales{*}"),
    (DisappearingOff, "{A} desactivó los mensajes temporales{*}"),
    (DisappearingOff, "!Desactivaste los mensajes temporales{*}"),
    (GroupCreated, "{A} creó el grupo \"{N}\""),
    (GroupCreated, "{A} creó el grupo “{N}”"),
    (GroupCreated, "!Creaste el grupo \"{N}\""),
    (GroupCreated, "!Creaste el grupo “{N}”"),
    (SubjectChanged, "{A} cambió el asunto de \"{O}\" a \"{N}\""),
    (SubjectChanged, "!Cambiaste el asunto de \"{O}\" a \"{N}\""),
    (SubjectChanged, "{A} cambió el nombre del grupo de \"{O}\" a \"{N}\""),
    (SubjectChanged, "!Cambiaste el nombre del grupo de \"{O}\" a \"{N}\""),
    (SubjectChanged, "{A} cambió el asunto a \"{N}\""),
    (SubjectChanged, "!Cambiaste el asunto a \"{N}\""),
    (IconChanged, "{A} cambió el ícono de este grupo"),
    (IconChanged, "!Cambiaste el ícono de este grupo"),
    (IconChanged, "{A} cambió la foto del grupo"),
    (IconChanged, "!Cambiaste la foto del grupo"),
    (IconChanged, "{A} eliminó la foto del grupo"),
    (IconChanged, "{A} eliminó el ícono de este grupo"),
    (DescriptionChanged, "{A} cambió la descripción del grupo"),
    (DescriptionChanged, "!Cambiaste la descripción del grupo"),
    (SettingsChanged, "{A} cambió la configuración {*}"),
    (SettingsChanged, "!Cambiaste la configuración {*}"),
    (AdminChanged, "Ahora eres admin{*}"),
    (AdminChanged, "Ya no eres admin{*}"),
    (NumberChanged, "{A} cambió su número de teléfono{*}"),
    (NumberChanged, "{A} cambió a +{N}"),
    (Blocked, "Bloqueaste a este contacto{*}"),
    (Blocked, "Desbloqueaste a este contacto{*}"),
    (MemberJoined, "{A} se unió usando el enlace de invitación de este grupo"),
    (MemberJoined, "{A} se unió mediante el enlace de invitación de este grupo"),
    (MemberJoined, "!Te uniste usando el enlace de invitación de este grupo"),
    (MemberJoined, "!Te uniste mediante el enlace de invitación de este grupo"),
    (MemberAdded, "{A} te añadió"),
    (MemberAdded, "{A} te agregó"),
    (MemberAdded, "{A} añadió a {T}"),
    (MemberAdded, "{A} agregó a {T}"),
    (MemberAdded, "!Añadiste a {T}"),
    (MemberAdded, "!Agregaste a {T}"),
    (MemberRemoved, "{A} te eliminó"),
    (MemberRemoved, "{A} eliminó a {T}"),
    (MemberRemoved, "!Eliminaste a {T}"),
    (MemberLeft, "!Saliste del grupo"),
    (MemberLeft, "{A} salió del grupo"),
    (MemberLeft, "{A} salió"),
    // ---- French
    (EncryptionNotice, "Les messages et les appels sont chiffrés de bout en bout{*}"),
    (EncryptionNotice, "Les messages et les appels sont protégés {*}"),
    (SecurityCodeChanged, "Votre code de sécurité avec {T} a changé{*}"),
    (DisappearingOn, "{A} a activé les messages éphémères{*}"),
    (DisappearingOn, "{A} avez activé les messages éphémères{*}"),
    (DisappearingOff, "{A} a désactivé les messages éphémères{*}"),
    (DisappearingOff, "{A} avez désactivé les messages éphémères{*}"),
    (GroupCreated, "{A} a créé le groupe « {N} »"),
    (GroupCreated, "{A} avez créé le groupe « {N} »"),
    (GroupCreated, "{A} a créé le groupe \"{N}\""),
    (GroupCreated, "{A} avez créé le groupe \"{N}\""),
    (SubjectChanged, "{A} a modifié le sujet de « {O} » en « {N} »"),
    (SubjectChanged, "{A} avez modifié le sujet de « {O} » en « {N} »"),
    (SubjectChanged, "{A} a changé le sujet de « {O} » en « {N} »"),
    (SubjectChanged, "{A} avez changé le sujet de « {O} » en « {N} »"),
    (SubjectChanged, "{A} a modifié le sujet de \"{O}\" en \"{N}\""),
    (SubjectChanged, "{A} avez modifié le sujet de \"{O}\" en \"{N}\""),
    (SubjectChanged, "{A} a modifié le sujet en « {N} »"),
    (SubjectChanged, "{A} avez modifié le sujet en « {N} »"),
    (IconChanged, "{A} a modifié l'icône de ce groupe"),
    (IconChanged, "{A} avez modifié l'icône de ce groupe"),
    (IconChanged, "{A} a changé la photo du groupe"),
    (IconChanged, "{A} avez changé la photo du groupe"),
    (IconChanged, "{A} a supprimé l'icône de ce groupe"),
    (DescriptionChanged, "{A} a modifié la description du groupe"),
    (DescriptionChanged, "{A} avez modifié la description du groupe"),
    (SettingsChanged, "{A} a modifié les paramètres {*}"),
    (SettingsChanged, "{A} avez modifié les paramètres {*}"),
    (AdminChanged, "Vous êtes désormais admin{*}"),
    (AdminChanged, "Vous êtes maintenant admin{*}"),
    (AdminChanged, "Vous n'êtes plus admin{*}"),
    (NumberChanged, "{A} a changé de numéro{*}"),
    (NumberChanged, "{A} a changé son numéro de téléphone{*}"),
    (Blocked, "Vous avez bloqué ce contact{*}"),
    (Blocked, "Vous avez débloqué ce contact{*}"),
    (MemberJoined, "{A} a rejoint ce groupe via le lien d'invitation{*}"),
    (MemberJoined, "{A} avez rejoint ce groupe via le lien d'invitation{*}"),
    (MemberJoined, "{A} a rejoint en utilisant le lien {*}"),
    (MemberJoined, "{A} avez rejoint en utilisant le lien {*}"),
    (MemberAdded, "{A} vous a ajouté{*}"),
    (MemberAdded, "{A} a ajouté {T}"),
    (MemberAdded, "{A} avez ajouté {T}"),
    (MemberRemoved, "{A} vous a retiré{*}"),
    (MemberRemoved, "{A} a retiré {T}"),
    (MemberRemoved, "{A} avez retiré {T}"),
    (MemberLeft, "{A} est parti{*}"),
    (MemberLeft, "{A} êtes parti{*}"),
    (MemberLeft, "{A} a quitté le groupe"),
    (MemberLeft, "{A} avez quitté le groupe"),
    // ---- Italian
    (EncryptionNotice, "I messaggi e le chiamate sono crittografati end-to-end{*}"),
    (EncryptionNotice, "I messaggi e le chiamate sono crittografati {*}"),
    (SecurityCodeChanged, "Il tuo codice di sicurezza con {T} è cambiato{*}"),
    (DisappearingOn, "{A} ha attivato i messaggi effimeri{*}"),
    (DisappearingOn, "!Hai attivato i messaggi effimeri{*}"),
    (DisappearingOff, "{A} ha disattivato i messaggi effimeri{*}"),
    (DisappearingOff, "!Hai disattivato i messaggi effimeri{*}"),
    (GroupCreated, "{A} ha creato il gruppo \"{N}\""),
    (GroupCreated, "!Hai creato il gruppo \"{N}\""),
    (GroupCreated, "{A} ha creato il gruppo “{N}”"),
    (GroupCreated, "!Hai creato il gruppo “{N}”"),
    (SubjectChanged, "{A} ha cambiato l'oggetto da \"{O}\" a \"{N}\""),
    (SubjectChanged, "!Hai cambiato l'oggetto da \"{O}\" a \"{N}\""),
    (SubjectChanged, "{A} ha modificato l'oggetto da \"{O}\" a \"{N}\""),
    (SubjectChanged, "!Hai modificato l'oggetto da \"{O}\" a \"{N}\""),
    (SubjectChanged, "{A} ha cambiato l'oggetto in \"{N}\""),
    (SubjectChanged, "!Hai cambiato l'oggetto in \"{N}\""),
    (IconChanged, "{A} ha cambiato l'immagine di questo gruppo"),
    (IconChanged, "!Hai cambiato l'immagine di questo gruppo"),
    (IconChanged, "{A} ha cambiato l'immagine del gruppo"),
    (IconChanged, "!Hai cambiato l'immagine del gruppo"),
    (IconChanged, "{A} ha eliminato l'immagine di questo gruppo"),
    (DescriptionChanged, "{A} ha cambiato la descrizione del gruppo"),
    (DescriptionChanged, "!Hai cambiato la descrizione del gruppo"),
    (SettingsChanged, "{A} ha cambiato le impostazioni {*}"),
    (SettingsChanged, "!Hai cambiato le impostazioni {*}"),
    (AdminChanged, "Ora sei un amministratore{*}"),
    (AdminChanged, "Non sei più un amministratore{*}"),
    (NumberChanged, "{A} ha cambiato il suo numero di telefono{*}"),
    (NumberChanged, "{A} ha cambiato numero{*}"),
    (Blocked, "Hai bloccato questo contatto{*}"),
    (Blocked, "Hai sbloccato questo contatto{*}"),
    (MemberJoined, "{A} si è unito tramite il link d'invito{*}"),
    (MemberJoined, "{A} si è unito tramite link di invito{*}"),
    (MemberJoined, "{A} si è unito usando il link d'invito{*}"),
    (MemberJoined, "{A} si è unita {*}link{*}"),
    (MemberJoined, "!Ti sei unito {*}link{*}"),
    (MemberAdded, "{A} ti ha aggiunto"),
    (MemberAdded, "{A} ha aggiunto {T}"),
    (MemberAdded, "!Hai aggiunto {T}"),
    (MemberRemoved, "{A} ti ha rimosso"),
    (MemberRemoved, "{A} ha rimosso {T}"),
    (MemberRemoved, "!Hai rimosso {T}"),
    (MemberLeft, "!Sei uscito{*}"),
    (MemberLeft, "{A} è uscito{*}"),
    (MemberLeft, "{A} è uscita{*}"),
    (MemberLeft, "{A} ha abbandonato{*}"),
    // ---- Portuguese
    (EncryptionNotice, "As mensagens e as chamadas são protegidas com a criptografia de ponta a ponta{*}"),
    (EncryptionNotice, "As mensagens e {*}criptografia de ponta{*}"),
    (SecurityCodeChanged, "Seu código de segurança com {T} mudou{*}"),
    (SecurityCodeChanged, "O código de segurança de {T} mudou{*}"),
    (DisappearingOn, "{A} ativou as mensagens temporárias{*}"),
    (DisappearingOff, "{A} desativou as mensagens temporárias{*}"),
    (GroupCreated, "{A} criou o grupo \"{N}\""),
    (GroupCreated, "{A} criou o grupo “{N}”"),
    (GroupCreated, "{A} criou este grupo"),
    (SubjectChanged, "{A} mudou o nome de \"{O}\" para \"{N}\""),
    (SubjectChanged, "{A} mudou o assunto de \"{O}\" para \"{N}\""),
    (SubjectChanged, "{A} mudou o nome do grupo de \"{O}\" para \"{N}\""),
    (SubjectChanged, "{A} mudou o assunto para \"{N}\""),
    (SubjectChanged, "{A} mudou o nome do grupo para \"{N}\""),
    (IconChanged, "{A} mudou a imagem deste grupo"),
    (IconChanged, "{A} mudou a imagem do grupo"),
    (IconChanged, "{A} apagou a imagem deste grupo"),
    (DescriptionChanged, "{A} mudou a descrição do grupo"),
    (SettingsChanged, "{A} mudou as configurações {*}"),
    (AdminChanged, "Agora você é admin{*}"),
    (AdminChanged, "Você não é mais admin{*}"),
    (NumberChanged, "{A} mudou seu número de telefone{*}"),
    (NumberChanged, "{A} mudou para +{N}"),
    (Blocked, "Você bloqueou este contato{*}"),
    (Blocked, "Você desbloqueou este contato{*}"),
    (MemberJoined, "{A} entrou usando o link de convite deste grupo{*}"),
    (MemberJoined, "{A} entrou usando o link {*}"),
    (MemberAdded, "{A} adicionou {T}"),
    (MemberRemoved, "{A} removeu {T}"),
    (MemberLeft, "{A} saiu"),
    // ---- Dutch
    (EncryptionNotice, "Berichten en oproepen zijn end-to-end versleuteld{*}"),
    (EncryptionNotice, "Berichten die je {*}end-to-end{*}"),
    (SecurityCodeChanged, "Je beveiligingscode met {T} is gewijzigd{*}"),
    (DisappearingOn, "{A} heeft verdwijnende berichten ingeschakeld{*}"),
    (DisappearingOn, "{A} hebt verdwijnende berichten ingeschakeld{*}"),
    (DisappearingOff, "{A} heeft verdwijnende berichten uitgeschakeld{*}"),
    (DisappearingOff, "{A} hebt verdwijnende berichten uitgeschakeld{*}"),
    (GroupCreated, "{A} heeft groep \"{N}\" aangemaakt"),
    (GroupCreated, "{A} hebt groep \"{N}\" aangemaakt"),
    (GroupCreated, "{A} heeft de groep \"{N}\" aangemaakt"),
    (GroupCreated, "{A} hebt de groep \"{N}\" aangemaakt"),
    (GroupCreated, "{A} heeft groep “{N}” gemaakt"),
    (GroupCreated, "{A} hebt groep “{N}” gemaakt"),
    (GroupCreated, "{A} heeft groep \"{N}\" gemaakt"),
    (GroupCreated, "{A} hebt groep \"{N}\" gemaakt"),
    (SubjectChanged, "{A} heeft het onderwerp gewijzigd van \"{O}\" naar \"{N}\""),
    (SubjectChanged, "{A} hebt het onderwerp gewijzigd van \"{O}\" naar \"{N}\""),
    (SubjectChanged, "{A} heeft de groepsnaam gewijzigd van \"{O}\" naar \"{N}\""),
    (SubjectChanged, "{A} hebt de groepsnaam gewijzigd van \"{O}\" naar \"{N}\""),
    (SubjectChanged, "{A} heeft het onderwerp gewijzigd naar \"{N}\""),
    (SubjectChanged, "{A} hebt het onderwerp gewijzigd naar \"{N}\""),
    (IconChanged, "{A} heeft het groepspictogram gewijzigd"),
    (IconChanged, "{A} hebt het groepspictogram gewijzigd"),
    (IconChanged, "{A} heeft de groepsafbeelding gewijzigd"),
    (IconChanged, "{A} hebt de groepsafbeelding gewijzigd"),
    (IconChanged, "{A} heeft de groepsfoto gewijzigd"),
    (IconChanged, "{A} hebt de groepsfoto gewijzigd"),
    (DescriptionChanged, "{A} heeft de groepsbeschrijving gewijzigd"),
    (DescriptionChanged, "{A} hebt de groepsbeschrijving gewijzigd"),
    (SettingsChanged, "{A} heeft de groepsinstellingen gewijzigd{*}"),
    (SettingsChanged, "{A} hebt de groepsinstellingen gewijzigd{*}"),
    (AdminChanged, "Je bent nu een beheerder{*}"),
    (AdminChanged, "Je bent nu beheerder{*}"),
    (AdminChanged, "Je bent geen beheerder meer{*}"),
    (NumberChanged, "{A} heeft het telefoonnummer gewijzigd{*}"),
    (NumberChanged, "{A} heeft een nieuw telefoonnummer{*}"),
    (NumberChanged, "{A} is overgestapt naar +{N}"),
    (Blocked, "Je hebt dit contact geblokkeerd{*}"),
    (Blocked, "Je hebt dit contact gedeblokkeerd{*}"),
    (MemberJoined, "{A} neemt deel via de uitnodigingslink van deze groep"),
    (MemberJoined, "{A} is lid geworden via {*}uitnodigingslink{*}"),
    (MemberJoined, "{A} heeft deelgenomen via {*}uitnodigingslink{*}"),
    (MemberJoined, "{A} is toegetreden via {*}uitnodigingslink{*}"),
    (MemberAdded, "{A} heeft {T} toegevoegd"),
    (MemberAdded, "{A} hebt {T} toegevoegd"),
    (MemberRemoved, "{A} heeft {T} verwijderd"),
    (MemberRemoved, "{A} hebt {T} verwijderd"),
    (MemberLeft, "{A} heeft de groep verlaten"),
    (MemberLeft, "{A} hebt de groep verlaten"),
    (MemberLeft, "{A} is vertrokken"),
];

/// A recognised system line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SystemLine {
    pub kind: EventKind,
    /// The actor as written (`You`, a name, a number), when the line names one.
    pub actor: Option<String>,
    /// The phone's owner did it (the actor is `You`/`Du`/…, or the phrase implies the owner).
    pub by_owner: bool,
    pub detail: EventDetail,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    Actor,
    Targets,
    Old,
    New,
    Skip,
}

#[derive(Default, Clone)]
struct Caps<'a> {
    actor: Option<&'a str>,
    targets: Option<&'a str>,
    old: Option<&'a str>,
    new: Option<&'a str>,
}

impl<'a> Caps<'a> {
    fn set(&mut self, slot: Slot, v: &'a str) {
        match slot {
            Slot::Actor => self.actor = Some(v),
            Slot::Targets => self.targets = Some(v),
            Slot::Old => self.old = Some(v),
            Slot::New => self.new = Some(v),
            Slot::Skip => {}
        }
    }
}

/// Splits the template's next token: a slot or the literal up to the next slot.
fn next_token(t: &str) -> Option<(Result<Slot, &str>, &str)> {
    if t.is_empty() {
        return None;
    }
    for (pat, slot) in [
        ("{A}", Slot::Actor),
        ("{T}", Slot::Targets),
        ("{O}", Slot::Old),
        ("{N}", Slot::New),
        ("{*}", Slot::Skip),
    ] {
        if let Some(rest) = t.strip_prefix(pat) {
            return Some((Ok(slot), rest));
        }
    }
    let end = t.find('{').filter(|&i| i > 0).unwrap_or(t.len());
    Some((Err(&t[..end]), &t[end..]))
}

/// Matches `text` against the template `t`, filling `caps`. Slots other than `{*}` take at least
/// one character; a slot takes text up to the earliest occurrence of the next literal that lets
/// the rest match.
fn matches<'a>(t: &str, text: &'a str, caps: &mut Caps<'a>) -> bool {
    let Some((tok, rest_t)) = next_token(t) else {
        return text.is_empty();
    };
    match tok {
        Err(lit) => match text.strip_prefix(lit) {
            Some(rest) => matches(rest_t, rest, caps),
            None => false,
        },
        Ok(slot) => {
            let min = usize::from(slot != Slot::Skip);
            match next_token(rest_t) {
                None => {
                    if text.len() < min {
                        return false;
                    }
                    caps.set(slot, text);
                    true
                }
                Some((Err(lit), after_lit)) => {
                    if after_lit.is_empty() {
                        // The literal ends the template: it must end the text.
                        if text.len() >= lit.len() + min && text.ends_with(lit) {
                            caps.set(slot, &text[..text.len() - lit.len()]);
                            return true;
                        }
                        return false;
                    }
                    for (i, _) in text.match_indices(lit) {
                        if i < min {
                            continue;
                        }
                        let mut c = caps.clone();
                        c.set(slot, &text[..i]);
                        if matches(rest_t, &text[i..], &mut c) {
                            *caps = c;
                            return true;
                        }
                    }
                    false
                }
                // Two slots in a row never occur in the table.
                Some((Ok(_), _)) => false,
            }
        }
    }
}

/// Splits a target list: `Ana, Ben and Cy` (and `und`, `y`, `et`, `e`, `en`).
pub fn split_targets(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in s.split(", ") {
        let mut rest = part;
        loop {
            let hit = [" and ", " und ", " y ", " et ", " e ", " en "]
                .iter()
                .filter_map(|sep| rest.find(sep).map(|i| (i, sep.len())))
                .min();
            match hit {
                Some((i, n)) => {
                    push_target(&mut out, &rest[..i]);
                    rest = &rest[i + n..];
                }
                None => {
                    push_target(&mut out, rest);
                    break;
                }
            }
        }
    }
    out
}

fn push_target(out: &mut Vec<String>, s: &str) {
    let s = s.trim();
    if !s.is_empty() {
        out.push(s.to_string());
    }
}

/// The disappearing-message timer written in a notice (`7 days`, `24 hours`, `90 Tagen`), in seconds.
pub fn duration_seconds(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_digit()) {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let n: u64 = text[start..i].parse().ok()?;
            let after = text[i..].trim_start_matches([' ', '\u{a0}', '\u{202f}']);
            let word: String = after
                .chars()
                .take_while(|c| c.is_alphabetic())
                .collect::<String>()
                .to_lowercase();
            let unit = match word.as_str() {
                "day" | "days" | "tag" | "tage" | "tagen" | "día" | "días" | "jour" | "jours"
                | "giorno" | "giorni" | "dia" | "dias" | "dag" | "dagen" => 86_400,
                "hour" | "hours" | "stunde" | "stunden" | "hora" | "horas" | "heure" | "heures"
                | "ora" | "ore" | "uur" => 3_600,
                "week" | "weeks" | "woche" | "wochen" | "semana" | "semanas" | "semaine"
                | "semaines" | "settimana" | "settimane" | "weken" => 604_800,
                _ => continue,
            };
            return n.checked_mul(unit);
        }
        i += 1;
    }
    None
}

/// The word of a template that any matching text must contain as a whole word: the first word
/// of its first literal, or the second when the literal does not start on a word boundary
/// (`{T}'s security code changed` -> `security`).
fn anchor(template: &str) -> Option<&str> {
    let t = template.strip_prefix('!').unwrap_or(template);
    let (lit, at_start) = match next_token(t)? {
        (Err(lit), _) => (lit, true),
        (Ok(_), rest) => match next_token(rest)? {
            (Err(lit), _) => (lit, false),
            (Ok(_), _) => return None,
        },
    };
    let mut words = lit.split(' ');
    if !at_start && !lit.starts_with(' ') {
        words.next();
    }
    words.find(|w| !w.is_empty())
}

/// Templates by anchor word, so that a line is matched only against the few templates whose
/// anchor it contains.
fn index() -> &'static std::collections::HashMap<&'static str, Vec<usize>> {
    static INDEX: std::sync::OnceLock<std::collections::HashMap<&'static str, Vec<usize>>> =
        std::sync::OnceLock::new();
    INDEX.get_or_init(|| {
        let mut m: std::collections::HashMap<&'static str, Vec<usize>> =
            std::collections::HashMap::new();
        for (i, (_, t)) in PHRASES.iter().enumerate() {
            // Every template has a literal word; one without would be tried on no line at all.
            if let Some(a) = anchor(t) {
                m.entry(a).or_default().push(i);
            }
        }
        m
    })
}

/// The first bytes of the encryption notices (checked against the table by a test): a message
/// starting with any other byte is ruled out at once.
const NOTICE_FIRST_BYTES: &[u8] = b"ABILMN";

/// No encryption notice is shorter than this many bytes (its template's text without slots).
pub const MIN_NOTICE_LEN: usize = 24;

/// Whether `text` starts like one of the encryption notices (their opening words), a cheap test
/// before [`recognise`] for text that follows an author's name.
pub fn may_be_notice(text: &str) -> bool {
    // Called for every message: the first two bytes are compared inline before any call to
    // `starts_with`, so that an ordinary message costs a few byte comparisons.
    let t = text.as_bytes();
    let (Some(&b0), Some(&b1)) = (t.first(), t.get(1)) else {
        return false;
    };
    if !NOTICE_FIRST_BYTES.contains(&b0) {
        return false;
    }
    static PREFIXES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    let prefixes = PREFIXES.get_or_init(|| {
        PHRASES
            .iter()
            .filter(|(k, _)| *k == EventKind::EncryptionNotice)
            .filter_map(|(_, t)| {
                let lit = t.split('{').next()?;
                // The first two words at most: enough to rule out ordinary messages cheaply.
                let end = lit
                    .char_indices()
                    .filter(|(_, c)| *c == ' ')
                    .nth(1)
                    .map_or(lit.len(), |(i, _)| i);
                let p = &lit[..end];
                (!p.is_empty()).then_some(p)
            })
            .collect()
    });
    prefixes.iter().any(|p| {
        let pb = p.as_bytes();
        pb.first() == Some(&b0) && pb.get(1) == Some(&b1) && t.starts_with(pb)
    })
}

/// Recognises a system line (marks already removed). `None` when no phrase matches or the text is
/// too long to be a system line.
pub fn recognise(text: &str) -> Option<SystemLine> {
    if text.len() > MAX_SYSTEM_LEN || text.is_empty() {
        return None;
    }
    let text = text.trim();
    let body = text.strip_suffix('.').unwrap_or(text);
    let idx = index();
    let mut candidates: Vec<usize> = Vec::new();
    for word in body.split(' ') {
        if let Some(ts) = idx.get(word) {
            candidates.extend_from_slice(ts);
        }
    }
    if candidates.is_empty() {
        return None;
    }
    candidates.sort_unstable();
    candidates.dedup();
    for &(kind, template) in candidates.iter().filter_map(|&i| PHRASES.get(i)) {
        let (implicit_owner, template) = match template.strip_prefix('!') {
            Some(t) => (true, t),
            None => (false, template),
        };
        let template = template.strip_suffix('.').unwrap_or(template);
        let mut caps = Caps::default();
        if !matches(template, body, &mut caps) {
            continue;
        }
        let actor = caps.actor.map(str::trim);
        // An actor is a name or a number: `Bob: You added Ana` is Bob's message, not a system line.
        if actor.is_some_and(|a| a.contains(": ") || a.is_empty() || a.len() > 200) {
            continue;
        }
        let by_owner = implicit_owner
            || actor.is_some_and(|a| OWNER_WORDS.contains(&a))
            || starts_with_owner(template);
        let mut detail = EventDetail {
            targets: caps.targets.map(split_targets).unwrap_or_default(),
            old: caps.old.map(str::to_string),
            new: caps.new.map(|n| {
                if template.contains("+{N}") {
                    format!("+{n}")
                } else {
                    n.to_string()
                }
            }),
            duration_seconds: None,
        };
        if matches!(kind, EventKind::DisappearingOn) {
            detail.duration_seconds = duration_seconds(text);
        }
        if kind == EventKind::MemberAdded
            && detail.targets.is_empty()
            && actor.is_none()
            && !template.starts_with('{')
        {
            // "You were added": the owner is the target.
            detail
                .targets
                .push(template.split(' ').next().unwrap_or("You").to_string());
        }
        return Some(SystemLine {
            kind,
            actor: actor.map(str::to_string),
            by_owner,
            detail,
        });
    }
    None
}

/// Templates that begin with the owner word itself (`You blocked this contact`).
fn starts_with_owner(template: &str) -> bool {
    let first = template.split(' ').next().unwrap_or("");
    let first = first.trim_end_matches("'re");
    OWNER_WORDS.contains(&first)
        && !template.contains("were added")
        && !template.contains("were removed")
        && !template.contains("wurdest")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> SystemLine {
        recognise(s).unwrap_or_else(|| panic!("not recognised: {s}"))
    }

    #[test]
    fn english_phrases() {
        let s = r("You changed the subject from \"a: b\" to \"c\"");
        assert_eq!(s.kind, SubjectChanged);
        assert_eq!(
            (
                s.actor.as_deref(),
                s.detail.old.as_deref(),
                s.detail.new.as_deref()
            ),
            (Some("You"), Some("a: b"), Some("c"))
        );
        assert!(s.by_owner);
        let s = r("Alice added Bob, Carol and Dave");
        assert_eq!(s.detail.targets, ["Bob", "Carol", "Dave"]);
        assert!(!s.by_owner);
        let s = r(
            "Spad Tom turned on disappearing messages. New messages will disappear from this chat 7 days after they're sent, except when kept.",
        );
        assert_eq!(
            (s.kind, s.detail.duration_seconds),
            (DisappearingOn, Some(604_800))
        );
        assert_eq!(r("You were added").detail.targets, ["You"]);
        assert_eq!(
            r("+44 7700 900123 left").actor.as_deref(),
            Some("+44 7700 900123")
        );
        assert_eq!(
            r("Bob changed to +44 7700 900124").detail.new.as_deref(),
            Some("+44 7700 900124")
        );
        assert!(recognise("Bob: You added Alice").is_none());
        assert!(recognise("hello there").is_none());
    }

    #[test]
    fn every_notice_is_at_least_min_notice_len_long() {
        for (k, t) in PHRASES {
            if *k == EncryptionNotice {
                let literal: usize = t.split("{*}").map(str::len).sum();
                assert!(literal >= MIN_NOTICE_LEN, "{t}");
                assert!(NOTICE_FIRST_BYTES.contains(&t.as_bytes()[0]), "{t}");
            }
        }
        assert!(may_be_notice("Messages to this group are now secured"));
        assert!(!may_be_notice("Meeting at ten"));
    }

    #[test]
    fn every_template_has_an_anchor() {
        for (_, t) in PHRASES {
            assert!(anchor(t).is_some(), "{t}");
        }
        assert_eq!(anchor("{T}'s security code changed{*}"), Some("security"));
        assert_eq!(anchor("{A} created group \"{N}\""), Some("created"));
        assert_eq!(anchor("!Añadiste a {T}"), Some("Añadiste"));
    }

    #[test]
    fn other_languages() {
        assert_eq!(r("Du hast Mallory hinzugefügt.").kind, MemberAdded);
        let s = r("Du hast den Gruppennamen von \"x\" zu \"y\" geändert.");
        assert_eq!((s.kind, s.by_owner), (SubjectChanged, true));
        assert_eq!(r("Añadiste a Ana").actor, None);
        assert!(r("Añadiste a Ana").by_owner);
        assert_eq!(
            r("Marie a créé le groupe « Projet »").detail.new.as_deref(),
            Some("Projet")
        );
        assert_eq!(r("Hai aggiunto Luca").kind, MemberAdded);
        assert_eq!(r("Ana ativou as mensagens temporárias. As novas mensagens vão desaparecer desta conversa 90 dias após o envio.").detail.duration_seconds, Some(90 * 86_400));
        assert_eq!(r("Jan heeft Piet toegevoegd").detail.targets, ["Piet"]);
        assert_eq!(r("Anna hat selbstlöschende Nachrichten aktiviert. Neue Nachrichten werden 24 Stunden nach dem Senden aus diesem Chat verschwinden.").detail.duration_seconds, Some(86_400));
    }
}
