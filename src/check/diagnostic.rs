//! The one diagnostic model. The checker produces it; the terminal (ariadne),
//! JSON, SARIF and the language server render it. Nothing here knows how it
//! will be shown.

use serde::Serialize;

use crate::syntax::Span;

/// Index of a file in [`super::Sources`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A span in a file, with what to say about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub file: FileId,
    pub span: Span,
    pub message: String,
    pub primary: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    /// For a problem with a whole file or folder (no span): its path.
    pub path: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity and one primary label.
    pub fn new(code: Code, file: FileId, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            labels: vec![Label {
                file,
                span,
                message: String::new(),
                primary: true,
            }],
            help: None,
            path: None,
        }
    }

    /// Sets the text under the primary label.
    pub fn label(mut self, text: impl Into<String>) -> Diagnostic {
        if let Some(first) = self.labels.first_mut() {
            first.message = text.into();
        }
        self
    }

    /// Adds a secondary label.
    pub fn with_label(mut self, file: FileId, span: Span, text: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            file,
            span,
            message: text.into(),
            primary: false,
        });
        self
    }

    pub fn help(mut self, text: impl Into<String>) -> Diagnostic {
        self.help = Some(text.into());
        self
    }

    /// The primary label's file and span.
    pub fn primary(&self) -> Option<&Label> {
        self.labels
            .iter()
            .find(|l| l.primary)
            .or(self.labels.first())
    }
}

macro_rules! codes {
    ($($variant:ident = $name:literal, $sev:ident, $doc:literal;)*) => {
        /// Every diagnostic code, with its default severity and meaning.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The stable name users see and can search for.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                }
            }

            pub fn severity(self) -> Severity {
                match self {
                    $(Code::$variant => Severity::$sev,)*
                }
            }

            /// One line on what the code means.
            pub fn describe(self) -> &'static str {
                match self {
                    $(Code::$variant => $doc,)*
                }
            }
        }
    };
}

codes! {
    Syntax = "syntax", Error, "the file does not follow the grammar";
    InvalidUtf8 = "invalid-utf8", Error, "the file is not UTF-8 text";
    UnreadableFile = "unreadable-file", Error, "a rule file or folder could not be read";
    LinkLoop = "link-loop", Warning, "a symbolic link in a rule folder leads back to a folder above it, and is not followed";
    NestingTooDeep = "nesting-too-deep", Error, "expressions or brackets nest deeper than the documented limit";
    UnknownName = "unknown-name", Error, "a name that no item, constant, entity or step defines";
    UnknownField = "unknown-field", Warning, "a field path that the source's schema does not declare";
    UnknownAction = "unknown-action", Warning, "an IAM action compared with `action` that IAM does not list, or written in another case than IAM's";
    UnloggedKey = "unlogged-key", Warning, "a `condition` on an IAM condition key that CloudTrail does not record: unknown on every record";
    DuplicateItem = "duplicate-item", Error, "two items share a name";
    DuplicateClause = "duplicate-clause", Error, "a clause that may appear once appears again";
    MisplacedClause = "misplaced-clause", Error, "a clause that this kind of item does not take, or a guardrail's `except` before any `deny when`";
    MissingClause = "missing-clause", Error, "a required clause is missing";
    MissingSource = "missing-source", Error, "a signal or guardrail without `on SOURCE`, or a sequence with one";
    TypeMismatch = "type-mismatch", Error, "a value of the wrong type for its operator, clause or function";
    InvalidLiteral = "invalid-literal", Error, "a number, duration, address or network that is not valid";
    InvalidRegex = "invalid-regex", Error, "a regular expression that does not compile";
    WrongArity = "wrong-arity", Error, "a function called with the wrong number of arguments";
    EntityNotDeclared = "entity-not-declared", Error, "a sequence joins on an entity that a step's signal does not declare";
    TemplateName = "template-name", Error, "a template names a value that does not exist where it is rendered";
    TemplateSyntax = "template-syntax", Error, "a `{...}` part of a template that does not parse";
    UnknownTactic = "unknown-tactic", Error, "a tactic that is not one of the 14 MITRE ATT&CK enterprise tactics";
    MalformedTechnique = "malformed-technique", Error, "a technique id not of the form `T1234` or `T1234.001`";
    SeverityRange = "severity-range", Error, "a severity that is not a level or a number from 1.0 to 10.0";
    TestPathEscapes = "test-path-escapes", Error, "a test input path that leaves the ruleset's folder";
    WrongKind = "wrong-kind", Error, "a name that refers to the wrong kind of item";
    InvalidStep = "invalid-step", Error, "a sequence step whose modifiers do not make sense";
    Cycle = "cycle", Error, "constants or sequences that refer to themselves";
    ShadowedField = "shadowed-field", Warning, "a constant hides a source field of the same name";
    DanglingDoc = "dangling-doc", Warning, "a doc comment that documents nothing";
    ConstantCondition = "constant-condition", Warning, "a condition that is always true or always false";
    EmptyTest = "empty-test", Warning, "a test with no input or no expectation";
    MissingTestInput = "missing-test-input", Warning, "a test input file that does not exist";
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
