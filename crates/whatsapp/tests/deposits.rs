//! Zips, folders, detection and bad input: everything that is not one well-formed chat text.

use std::io::Write;
use std::path::Path;

use onrecord_container::{Member, Probe};
use onrecord_model::{CollectSink, Flags, Kind, MessageKind, ParseOptions, TitleSource};
use onrecord_whatsapp::{WhatsAppError, detect, parse, parse_bytes};

fn make_zip(path: &Path, members: &[(&str, &[u8])]) {
    let f = std::fs::File::create(path).unwrap();
    let mut w = zip::ZipWriter::new(f);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in members {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap();
}

fn opts(name: &str) -> ParseOptions {
    ParseOptions::new("Europe/London", name).unwrap()
}

const IOS_CHAT: &str = "[01/03/2020, 08:00:00] Jane Doe: Morning\n\
[01/03/2020, 08:05:09] Jane Doe: \u{200e}<attached: 00000012-PHOTO-2020-03-01-08-05-09.jpg>\n\
[01/03/2020, 08:06:00] Tom: \u{200e}<attached: 00000013-PHOTO-2020-03-01-08-06-00.jpg>\n\
[01/03/2020, 08:07:00] Tom: bye\n";

#[test]
fn ios_zip_links_attachments_and_flags_missing_ones() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("WhatsApp Chat - Jane Doe.zip");
    let jpeg = b"\xff\xd8\xff\xe0 not really a jpeg";
    make_zip(
        &p,
        &[
            ("_chat.txt", IOS_CHAT.as_bytes()),
            ("00000012-PHOTO-2020-03-01-08-05-09.jpg", jpeg),
            ("extra.pdf", b"%PDF"),
        ],
    );
    let mut sink = CollectSink::default();
    let report = parse(&p, &opts("WhatsApp Chat - Jane Doe.zip"), &mut sink).unwrap();
    assert_eq!(report.format, "whatsapp-zip");
    assert_eq!(sink.records.len(), 4);
    let c = &sink.conversations[0];
    assert_eq!(
        (c.key.as_str(), c.title.as_deref(), c.title_source),
        ("Jane Doe", Some("Jane Doe"), TitleSource::FileName)
    );
    let photo = &sink.records[1];
    assert_eq!(photo.kind, Kind::Message(MessageKind::Media));
    let a = &photo.attachments[0];
    assert_eq!(a.name, "00000012-PHOTO-2020-03-01-08-05-09.jpg");
    assert_eq!(a.media_type.as_deref(), Some("image/jpeg"));
    assert_eq!(a.size, Some(jpeg.len() as u64));
    assert_eq!(a.sha256, Some(onrecord_model::Digest::of(jpeg)));
    assert!(!photo.flags.contains(Flags::ATTACHMENT_MISSING));
    assert_eq!(photo.source.path.as_deref(), Some("_chat.txt"));
    assert_eq!(photo.source.line, Some(2));
    assert_eq!(photo.source.offset, 41);
    let missing = &sink.records[2];
    assert!(missing.flags.contains(Flags::ATTACHMENT_MISSING));
    assert_eq!(missing.attachments[0].sha256, None);
    let streamed: Vec<_> = sink.attachments.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        streamed,
        ["00000012-PHOTO-2020-03-01-08-05-09.jpg", "extra.pdf"]
    );
    assert!(
        sink.warnings
            .iter()
            .any(|w| w.message.contains("named by no message") && w.message.contains("extra.pdf"))
    );
}

#[test]
fn android_zip_takes_the_title_from_the_chat_member() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("export.zip");
    let chat = "01/03/2020, 08:00 - Jane Doe: IMG-20200301-WA0001.jpg (file attached)\ncaption\n01/03/2020, 08:01 - Jane Doe: ok\n";
    make_zip(
        &p,
        &[
            ("WhatsApp Chat with Jane Doe.txt", chat.as_bytes()),
            ("IMG-20200301-WA0001.jpg", b"img"),
        ],
    );
    let probe = Probe {
        path: &p,
        head: b"PK\x03\x04",
        members: Some(&members_of(&p)),
    };
    assert_eq!(detect(&probe), Some("whatsapp-zip"));
    let mut sink = CollectSink::default();
    parse(&p, &opts("export.zip"), &mut sink).unwrap();
    assert_eq!(sink.conversations[0].title.as_deref(), Some("Jane Doe"));
    assert_eq!(
        sink.records[0].text,
        "IMG-20200301-WA0001.jpg (file attached)\ncaption"
    );
    assert_eq!(sink.records[0].attachments[0].size, Some(3));
}

fn members_of(p: &Path) -> Vec<Member> {
    onrecord_container::Bundle::open(p, onrecord_container::Limits::default())
        .unwrap()
        .members()
        .to_vec()
}

#[test]
fn a_folder_is_read_like_a_zip() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("_chat.txt"), IOS_CHAT).unwrap();
    std::fs::write(
        dir.path().join("00000013-PHOTO-2020-03-01-08-06-00.jpg"),
        b"x",
    )
    .unwrap();
    let mut sink = CollectSink::default();
    parse(dir.path(), &opts("folder"), &mut sink).unwrap();
    assert!(sink.records[1].flags.contains(Flags::ATTACHMENT_MISSING));
    assert!(!sink.records[2].flags.contains(Flags::ATTACHMENT_MISSING));
}

#[test]
fn bad_zips_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("nochat.zip");
    make_zip(
        &p,
        &[("photo.jpg", b"x"), ("notes.txt", b"just some notes\n")],
    );
    let err = parse(&p, &opts("nochat.zip"), &mut CollectSink::default()).unwrap_err();
    assert!(matches!(err, WhatsAppError::NoChatInZip { .. }), "{err}");
    assert!(err.to_string().contains("nochat.zip"));

    let p = dir.path().join("evil.zip");
    make_zip(
        &p,
        &[("_chat.txt", IOS_CHAT.as_bytes()), ("../evil.jpg", b"x")],
    );
    let err = parse(&p, &opts("evil.zip"), &mut CollectSink::default()).unwrap_err();
    assert!(err.to_string().contains("unsafe path"), "{err}");

    let p = dir.path().join("bomb.zip");
    make_zip(
        &p,
        &[
            ("_chat.txt", IOS_CHAT.as_bytes()),
            ("zeros.bin", &vec![0u8; 8 << 20]),
        ],
    );
    let err = parse(&p, &opts("bomb.zip"), &mut CollectSink::default()).unwrap_err();
    assert!(err.to_string().contains("zip bomb"), "{err}");

    let p = dir.path().join("cut.zip");
    make_zip(&p, &[("_chat.txt", IOS_CHAT.as_bytes())]);
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
    let err = parse(&p, &opts("cut.zip"), &mut CollectSink::default()).unwrap_err();
    assert!(err.to_string().contains("cut.zip"), "{err}");
}

#[test]
fn not_a_chat_is_an_error_naming_the_file() {
    let o = opts("notes.txt");
    for (bytes, needle) in [
        (&b""[..], "no chat header"),
        (&b"\x00\x01\x02binary\x00"[..], "binary"),
        (&b"\xff\xfe1\x00/\x001\x00"[..], "UTF-16"),
        (&b"Dear all,\nplease find attached.\n"[..], "no chat header"),
    ] {
        let err = parse_bytes(bytes, &o, &mut CollectSink::default()).unwrap_err();
        let s = err.to_string();
        assert!(s.contains("notes.txt") && s.contains(needle), "{s}");
    }
    let prose = "just words\n".repeat(2000);
    let err = parse_bytes(prose.as_bytes(), &o, &mut CollectSink::default()).unwrap_err();
    assert!(err.to_string().contains("first 1000 lines"), "{err}");
}

#[test]
fn detect_reads_the_head() {
    let p = Path::new("x.txt");
    let yes: [&[u8]; 4] = [
        b"01/03/2020, 08:00 - Jane: hi\n",
        "\u{feff}[01/03/2020, 08:00:00] Jane: hi\r\n".as_bytes(),
        "\n\u{200e}[1/3/20, 8:00:00\u{202f}AM] Jane: hi".as_bytes(),
        b"2021/05/03, 13:45. - Kim: hi",
    ];
    for head in yes {
        assert_eq!(
            detect(&Probe {
                path: p,
                head,
                members: None
            }),
            Some("whatsapp-txt"),
            "{head:?}"
        );
    }
    for head in [
        &b"hello\n01/03/2020, 08:00 - Jane: hi"[..],
        b"",
        b"PK\x03\x04",
        b"From: a@b\n",
    ] {
        assert_eq!(
            detect(&Probe {
                path: p,
                head,
                members: None
            }),
            None,
            "{head:?}"
        );
    }
}

#[test]
fn a_huge_message_is_capped_with_a_warning() {
    let mut chat = b"01/03/2020, 08:00 - Jane: start\n".to_vec();
    let line = vec![b'x'; 1 << 20];
    for _ in 0..17 {
        chat.extend_from_slice(&line);
        chat.push(b'\n');
    }
    chat.extend_from_slice(b"01/03/2020, 08:01 - Tom: after\n");
    let mut sink = CollectSink::default();
    parse_bytes(&chat, &opts("big.txt"), &mut sink).unwrap();
    assert_eq!(sink.records.len(), 2);
    assert!(sink.records[0].flags.contains(Flags::TRUNCATED));
    assert!(sink.records[0].text.len() <= 16 << 20);
    assert!(
        sink.warnings
            .iter()
            .any(|w| w.message.contains("message longer than"))
    );
    assert_eq!(sink.records[1].text, "after");
}

#[test]
fn a_sink_error_stops_the_parse() {
    struct Refuse;
    impl onrecord_model::Sink for Refuse {
        fn conversation(
            &mut self,
            _: onrecord_model::Conversation,
        ) -> Result<(), onrecord_model::SinkError> {
            Ok(())
        }
        fn record(&mut self, _: onrecord_model::Record) -> Result<(), onrecord_model::SinkError> {
            Err(onrecord_model::SinkError("disk full".into()))
        }
        fn attachment(
            &mut self,
            _: &str,
            _: &mut dyn std::io::Read,
        ) -> Result<onrecord_model::AttachmentStored, onrecord_model::SinkError> {
            Err(onrecord_model::SinkError("disk full".into()))
        }
        fn warning(&mut self, _: onrecord_model::Warning) -> Result<(), onrecord_model::SinkError> {
            Ok(())
        }
    }
    let err = parse_bytes(
        b"01/03/2020, 08:00 - Jane: hi\n",
        &opts("a.txt"),
        &mut Refuse,
    )
    .unwrap_err();
    assert!(err.to_string().contains("disk full"));
}

/// A zip is read by the content of its one chat text, whatever the text is called.
#[test]
fn a_zip_chat_is_found_by_its_content_whatever_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let chat = "01/03/2020, 08:00 - Jane Doe: hello\n01/03/2020, 08:01 - Tom: hi\n";
    for name in [
        "WhatsApp Chat - Team.txt",
        "Chat de WhatsApp con Ana.txt",
        "WhatsApp-Chat mit Anna.txt",
        "Conversa do WhatsApp com João.txt",
        "msgstore.txt",
        "export/Some other name.TXT",
    ] {
        let p = dir.path().join("export.zip");
        make_zip(
            &p,
            &[
                ("notes.txt", b"shopping list\nmilk\n"),
                (name, chat.as_bytes()),
                ("IMG-1.jpg", b"x"),
            ],
        );
        let mut bundle =
            onrecord_container::Bundle::open(&p, onrecord_container::Limits::default()).unwrap();
        assert_eq!(
            onrecord_whatsapp::detect_bundle(&mut bundle),
            Some("whatsapp-zip"),
            "{name}"
        );
        let mut sink = CollectSink::default();
        let report =
            parse(&p, &opts("export.zip"), &mut sink).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(report.format, "whatsapp-zip");
        assert_eq!(sink.records.len(), 2, "{name}");
        assert_eq!(sink.records[0].source.path.as_deref(), Some(name));
    }
}

#[test]
fn several_chat_texts_are_refused_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("two.zip");
    let chat = b"01/03/2020, 08:00 - Jane Doe: hello\n";
    make_zip(
        &p,
        &[("a.txt", chat), ("b.txt", chat), ("c.txt", b"notes\n")],
    );
    let err = parse(&p, &opts("two.zip"), &mut CollectSink::default()).unwrap_err();
    assert!(matches!(err, WhatsAppError::SeveralChats { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("\"a.txt\"") && msg.contains("\"b.txt\"") && !msg.contains("c.txt"),
        "{msg}"
    );
    // No chat at all: the texts looked at are named.
    let p = dir.path().join("none.zip");
    make_zip(&p, &[("c.txt", b"notes\n")]);
    let err = parse(&p, &opts("none.zip"), &mut CollectSink::default()).unwrap_err();
    assert!(err.to_string().contains("\"c.txt\""), "{err}");
    let mut bundle =
        onrecord_container::Bundle::open(&p, onrecord_container::Limits::default()).unwrap();
    assert_eq!(onrecord_whatsapp::detect_bundle(&mut bundle), None);
}
