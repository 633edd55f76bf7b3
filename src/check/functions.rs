//! The fixed set of functions: their signatures, docs, and the call check.
//! The table is also what hover and completion show.

use super::diagnostic::{Code, Diagnostic, FileId};
use super::suggest::did_you_mean;
use super::types::Ty;
use crate::syntax::ast::Ident;
use crate::syntax::Span;

/// What a parameter accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    Text,
    TextOrList,
    Number,
    Bool,
    /// Any constant value.
    Value,
}

impl Param {
    fn accepts(self, ty: &Ty) -> bool {
        match self {
            Param::Text => ty.is_textual(),
            Param::TextOrList => ty.is_textual() || matches!(ty, Ty::List(_)),
            Param::Number => matches!(ty, Ty::Number | Ty::Any),
            Param::Bool => matches!(ty, Ty::Bool | Ty::Any),
            Param::Value => true,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Param::Text => "string",
            Param::TextOrList => "string or list",
            Param::Number => "number",
            Param::Bool => "bool",
            Param::Value => "value",
        }
    }
}

pub struct Function {
    pub name: &'static str,
    pub params: &'static [Param],
    /// Whether the last parameter repeats (`max(a, b, c)`).
    pub variadic: bool,
    pub returns: fn() -> Ty,
    pub signature: &'static str,
    pub doc: &'static str,
}

pub const FUNCTIONS: &[Function] = &[
    Function { name: "lower", params: &[Param::Text], variadic: false, returns: || Ty::String, signature: "lower(string) -> string", doc: "The text in lower case: `lower(\"Admin\")` is `\"admin\"`." },
    Function { name: "upper", params: &[Param::Text], variadic: false, returns: || Ty::String, signature: "upper(string) -> string", doc: "The text in upper case." },
    Function { name: "len", params: &[Param::TextOrList], variadic: false, returns: || Ty::Number, signature: "len(string | list) -> number", doc: "The number of characters of a string, or of elements of a list." },
    Function { name: "split", params: &[Param::Text, Param::Text], variadic: false, returns: || Ty::List(Box::new(Ty::String)), signature: "split(string, string) -> list<string>", doc: "The parts of the text between separators: `split(\"a:b\", \":\")` is `[\"a\", \"b\"]`." },
    Function { name: "service", params: &[Param::Text], variadic: false, returns: || Ty::String, signature: "service(string) -> string", doc: "The IAM service prefix of an event source: `service(\"s3.amazonaws.com\")` is `\"s3\"`, `service(\"monitoring.amazonaws.com\")` is `\"cloudwatch\"`." },
    Function { name: "iam_action", params: &[Param::Text, Param::Text], variadic: false, returns: || Ty::String, signature: "iam_action(string, string) -> string", doc: "The IAM action a call is authorized as, from its event source and event name, cased as IAM writes it: `iam_action(\"s3.amazonaws.com\", \"ListBuckets\")` is `\"s3:ListAllMyBuckets\"`." },
    Function { name: "condition", params: &[Param::Text, Param::Text, Param::Value], variadic: false, returns: || Ty::Bool, signature: "condition(string, string, value) -> bool", doc: "An IAM policy condition, with IAM's meaning: `condition(\"StringNotEquals\", \"aws:RequestedRegion\", [\"eu-west-1\"])` is the policy's `\"StringNotEquals\": {\"aws:RequestedRegion\": [\"eu-west-1\"]}`. A key the request did not have is decided as IAM decides it (a negated operator or `...IfExists` matches); a key CloudTrail does not record leaves it unknown. See docs/guardrails.md for the keys CloudTrail carries." },
    Function { name: "account", params: &[Param::Text], variadic: false, returns: || Ty::String, signature: "account(string) -> string", doc: "The account id in an ARN: `account(\"arn:aws:iam::123456789012:user/a\")` is `\"123456789012\"`." },
    Function { name: "region", params: &[Param::Text], variadic: false, returns: || Ty::String, signature: "region(string) -> string", doc: "The region in an ARN, empty for global resources." },
    Function { name: "is_service_linked", params: &[Param::Text], variadic: false, returns: || Ty::Bool, signature: "is_service_linked(string) -> bool", doc: "Whether an ARN is a service-linked role (`:role/aws-service-role/`)." },
    Function { name: "any", params: &[Param::Bool], variadic: false, returns: || Ty::Bool, signature: "any(bool) -> bool", doc: "True if the condition holds for any element that a `[*]` path yields (IAM's ForAnyValue)." },
    Function { name: "all", params: &[Param::Bool], variadic: false, returns: || Ty::Bool, signature: "all(bool) -> bool", doc: "True if the condition holds for every element that a `[*]` path yields (IAM's ForAllValues)." },
    Function { name: "max", params: &[Param::Number], variadic: true, returns: || Ty::Number, signature: "max(number, ...) -> number", doc: "The largest of the numbers." },
    Function { name: "min", params: &[Param::Number], variadic: true, returns: || Ty::Number, signature: "min(number, ...) -> number", doc: "The smallest of the numbers." },
];

pub fn lookup(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// Checks a call's name, arity and argument types; returns its type.
pub fn check_call(
    file: FileId,
    func: &Ident,
    args: &[(Ty, Span)],
    call_span: Span,
    diags: &mut Vec<Diagnostic>,
) -> Ty {
    let Some(f) = lookup(&func.name) else {
        let mut d = Diagnostic::new(
            Code::UnknownName,
            file,
            func.span,
            format!("unknown function `{}`", func.name),
        )
        .label("not a function");
        d = d.help(
            did_you_mean(&func.name, FUNCTIONS.iter().map(|f| f.name)).unwrap_or_else(|| {
                let names: Vec<String> =
                    FUNCTIONS.iter().map(|f| format!("`{}`", f.name)).collect();
                format!("the functions are {}", names.join(", "))
            }),
        );
        diags.push(d);
        return Ty::Any;
    };
    let arity_ok = if f.variadic {
        args.len() >= f.params.len()
    } else {
        args.len() == f.params.len()
    };
    if !arity_ok {
        let wanted = if f.variadic {
            format!("at least {}", f.params.len())
        } else {
            f.params.len().to_string()
        };
        diags.push(
            Diagnostic::new(
                Code::WrongArity,
                file,
                call_span,
                format!(
                    "`{}` takes {wanted} argument{}, not {}",
                    f.name,
                    if wanted == "1" { "" } else { "s" },
                    args.len()
                ),
            )
            .label("this call")
            .help(format!("the signature is `{}`", f.signature)),
        );
        return (f.returns)();
    }
    for (i, (ty, span)) in args.iter().enumerate() {
        let param = f
            .params
            .get(i)
            .or(f.params.last())
            .copied()
            .unwrap_or(Param::Text);
        if !param.accepts(ty) {
            diags.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    file,
                    *span,
                    format!("`{}` takes a {} here, not `{ty}`", f.name, param.name()),
                )
                .label(format!("this is `{ty}`"))
                .help(format!("the signature is `{}`", f.signature)),
            );
        }
    }
    (f.returns)()
}
