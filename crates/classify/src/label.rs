//! The two labels and the fifteen categories a message can be given.

use serde::{Deserialize, Serialize};

/// Whether a message is a record that matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Label {
    /// "Significant government information" in the 2023 guidance's words: to be kept.
    Significant,
    /// Routine traffic with no record value of its own.
    Trivial,
}

impl Label {
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Significant => "significant",
            Label::Trivial => "trivial",
        }
    }

    pub fn parse(s: &str) -> Option<Label> {
        match s {
            "significant" => Some(Label::Significant),
            "trivial" => Some(Label::Trivial),
            _ => None,
        }
    }
}

macro_rules! categories {
    ($($variant:ident = $name:literal, $label:ident;)*) => {
        /// What kind of significant or trivial message it is. Each category belongs to one label.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum Category {
            $(#[serde(rename = $name)] $variant,)*
        }

        impl Category {
            /// Every category, in a fixed order (the model's category weights follow it).
            pub const ALL: &'static [Category] = &[$(Category::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Category::$variant => $name,)* }
            }

            pub fn label(self) -> Label {
                match self { $(Category::$variant => Label::$label,)* }
            }

            /// The category by its name (`procurement`, `greeting-thanks`, …).
            pub fn parse(s: &str) -> Option<Category> {
                match s { $($name => Some(Category::$variant),)* _ => None }
            }
        }
    };
}

categories! {
    Decision = "decision", Significant;
    Instruction = "instruction", Significant;
    Approval = "approval", Significant;
    MoneyAndContracts = "money-and-contracts", Significant;
    Procurement = "procurement", Significant;
    PolicyPosition = "policy-position", Significant;
    LegalAdvice = "legal-advice", Significant;
    MinisterialDirection = "ministerial-direction", Significant;
    OutsideMeeting = "outside-meeting", Significant;
    Logistics = "logistics", Trivial;
    GreetingThanks = "greeting-thanks", Trivial;
    Acknowledgement = "acknowledgement", Trivial;
    Scheduling = "scheduling", Trivial;
    Personal = "personal", Trivial;
    Social = "social", Trivial;
}

impl Category {
    /// The position of this category in [`Category::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}
