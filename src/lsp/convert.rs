//! Between the `ide` layer's types and the protocol's.

use tower_lsp_server::lsp_types as lsp;
use tower_lsp_server::UriExt;

use crate::ide;

pub fn pos(p: lsp::Position) -> ide::Pos {
    ide::Pos {
        line: p.line,
        character: p.character,
    }
}

pub fn position(p: ide::Pos) -> lsp::Position {
    lsp::Position {
        line: p.line,
        character: p.character,
    }
}

pub fn range(r: ide::Range) -> lsp::Range {
    lsp::Range {
        start: position(r.start),
        end: position(r.end),
    }
}

/// The snapshot's name for a document: its path for `file:` URIs.
pub fn name(uri: &lsp::Uri) -> String {
    uri.to_file_path()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| uri.as_str().to_string())
}

/// The URI of a snapshot file name.
pub fn uri(name: &str) -> Option<lsp::Uri> {
    let path = std::path::Path::new(name);
    if path.is_absolute() {
        lsp::Uri::from_file_path(path)
    } else {
        name.parse().ok()
    }
}

pub fn diagnostic(d: ide::IdeDiagnostic) -> lsp::Diagnostic {
    lsp::Diagnostic {
        range: range(d.range),
        severity: Some(if d.error {
            lsp::DiagnosticSeverity::ERROR
        } else {
            lsp::DiagnosticSeverity::WARNING
        }),
        code: Some(lsp::NumberOrString::String(d.code.to_string())),
        source: Some("tensen".into()),
        message: d.message,
        related_information: Some(
            d.related
                .into_iter()
                .filter_map(|(file, r, message)| {
                    Some(lsp::DiagnosticRelatedInformation {
                        location: lsp::Location {
                            uri: uri(&file)?,
                            range: range(r),
                        },
                        message,
                    })
                })
                .collect(),
        ),
        ..lsp::Diagnostic::default()
    }
}

pub fn symbol_kind(k: ide::SymbolKind) -> lsp::SymbolKind {
    match k {
        ide::SymbolKind::Source => lsp::SymbolKind::STRUCT,
        ide::SymbolKind::Signal => lsp::SymbolKind::EVENT,
        ide::SymbolKind::Sequence => lsp::SymbolKind::FUNCTION,
        ide::SymbolKind::Guardrail => lsp::SymbolKind::INTERFACE,
        ide::SymbolKind::Constant => lsp::SymbolKind::CONSTANT,
        ide::SymbolKind::Test => lsp::SymbolKind::METHOD,
    }
}

pub fn completion_kind(k: ide::CompletionKind) -> lsp::CompletionItemKind {
    match k {
        ide::CompletionKind::Keyword => lsp::CompletionItemKind::KEYWORD,
        ide::CompletionKind::Item => lsp::CompletionItemKind::REFERENCE,
        ide::CompletionKind::Field => lsp::CompletionItemKind::FIELD,
        ide::CompletionKind::Function => lsp::CompletionItemKind::FUNCTION,
        ide::CompletionKind::Tactic => lsp::CompletionItemKind::ENUM_MEMBER,
    }
}

/// The semantic token legend: the `ide` layer's types and modifiers.
pub fn legend() -> lsp::SemanticTokensLegend {
    lsp::SemanticTokensLegend {
        token_types: ide::TOKEN_TYPES
            .iter()
            .map(|t| lsp::SemanticTokenType::new(t))
            .collect(),
        token_modifiers: ide::TOKEN_MODIFIERS
            .iter()
            .map(|m| lsp::SemanticTokenModifier::new(m))
            .collect(),
    }
}

/// Tokens in text order, delta-encoded as the protocol wants.
pub fn semantic_tokens(tokens: &[ide::SemanticToken]) -> lsp::SemanticTokens {
    let mut data = Vec::with_capacity(tokens.len());
    let (mut line, mut start) = (0u32, 0u32);
    for t in tokens {
        let delta_line = t.line.saturating_sub(line);
        let delta_start = if delta_line == 0 {
            t.start.saturating_sub(start)
        } else {
            t.start
        };
        data.push(lsp::SemanticToken {
            delta_line,
            delta_start,
            length: t.len,
            token_type: t.kind as u32,
            token_modifiers_bitset: t.modifiers,
        });
        line = t.line;
        start = t.start;
    }
    lsp::SemanticTokens {
        result_id: None,
        data,
    }
}
