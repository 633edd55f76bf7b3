//! `tensen lsp`: the language server, over stdio, on tower-lsp-server
//! (which hands notifications over in order). Thin glue: the documents are
//! kept here, one writer applies changes in order (versions checked), and
//! every request runs an `ide` function on a consistent snapshot of its
//! ruleset (every `*.tsn` under its workspace folder, open buffers first;
//! see `workspace`).

mod convert;
mod guard;
mod workspace;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::*;
use tower_lsp_server::UriExt;
use tower_lsp_server::{Client, LanguageServer, LspService, Server};

use crate::ide::{self, LineIndex, Snapshot};
use workspace::Workspace;

/// The command a test's code lens calls; the editor packages implement it
/// (VS Code: `tensen: Run tests in file`), with the document's URI.
pub const RUN_TESTS_COMMAND: &str = "tensen.runTestsInFile";

/// A change that comes within this long of the one before waits as long
/// for the next one before diagnostics are computed; a change after a pause
/// is analysed at once (a debounce on the trailing edge only would make
/// every single keystroke wait for nothing).
const DEBOUNCE: std::time::Duration = std::time::Duration::from_millis(15);

pub struct Backend {
    client: Client,
    state: Arc<Mutex<Workspace>>,
    /// `shutdown` came: the `exit` after it ends the process with 0.
    shut_down: Arc<std::sync::atomic::AtomicBool>,
}

impl Backend {
    /// The snapshot of the ruleset the document at `uri` belongs to.
    fn snapshot(&self, uri: &Uri) -> Option<Arc<Snapshot>> {
        let mut ws = self.state.lock().ok()?;
        Some(ws.snapshot_for(&doc_name(uri)))
    }

    /// Publishes diagnostics at once after a pause, or once a burst of
    /// changes pauses for [`DEBOUNCE`]; requests meanwhile see the latest
    /// text (snapshots are rebuilt on demand).
    fn refresh_later(&self) {
        let (generation, burst) = match self.state.lock() {
            Ok(mut ws) => {
                let now = std::time::Instant::now();
                let burst = ws
                    .last_change
                    .is_some_and(|t| now.duration_since(t) < DEBOUNCE);
                ws.last_change = Some(now);
                (ws.changed(), burst)
            }
            Err(_) => return,
        };
        let (client, state) = (self.client.clone(), self.state.clone());
        tokio::spawn(async move {
            if burst {
                tokio::time::sleep(DEBOUNCE).await;
            }
            let current = state.lock().map(|ws| ws.generation).unwrap_or(0);
            if current == generation {
                publish(&client, &state).await;
            }
        });
    }

    fn with_workspace(&self, f: impl FnOnce(&mut Workspace)) {
        if let Ok(mut ws) = self.state.lock() {
            f(&mut ws);
        }
    }

    async fn refresh(&self) {
        self.with_workspace(|ws| {
            ws.changed();
        });
        publish(&self.client, &self.state).await;
    }
}

/// Rebuilds the snapshots and publishes the diagnostics of every open
/// document, with the version they were computed for.
async fn publish(client: &Client, state: &Mutex<Workspace>) {
    let docs = match state.lock() {
        Ok(mut ws) => ws.open_documents(),
        Err(_) => return,
    };
    for (name, version, snap) in docs {
        let Some(uri) = convert::uri(&name) else {
            continue;
        };
        let diags = ide::diagnostics(&snap, &name)
            .into_iter()
            .map(convert::diagnostic)
            .collect();
        client.publish_diagnostics(uri, diags, Some(version)).await;
    }
}

fn doc_name(uri: &Uri) -> String {
    convert::name(uri)
}

fn folder_path(uri: &Uri) -> Option<PathBuf> {
    uri.to_file_path().map(|p| p.to_path_buf())
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        #[allow(deprecated)]
        let folders: Vec<PathBuf> = match &params.workspace_folders {
            Some(f) if !f.is_empty() => f.iter().filter_map(|f| folder_path(&f.uri)).collect(),
            _ => params
                .root_uri
                .as_ref()
                .and_then(folder_path)
                .into_iter()
                .collect(),
        };
        self.with_workspace(|ws| {
            for f in folders {
                ws.add_folder(f);
            }
        });
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "tensen".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            capabilities: capabilities(),
        })
    }

    async fn shutdown(&self) -> Result<()> {
        self.shut_down
            .store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let doc = params.text_document;
        self.with_workspace(|ws| {
            ws.open.insert(doc_name(&doc.uri), (doc.version, doc.text));
        });
        self.refresh().await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let name = doc_name(&params.text_document.uri);
        let version = params.text_document.version;
        {
            let Ok(mut ws) = self.state.lock() else {
                return;
            };
            let Some((v, text)) = ws.open.get_mut(&name) else {
                return;
            };
            // Changes come in order; an older version is a stale message.
            if version < *v {
                return;
            }
            for change in params.content_changes {
                match change.range {
                    Some(r) => {
                        let index = LineIndex::new(text);
                        let start = index.offset(convert::pos(r.start));
                        let end = index.offset(convert::pos(r.end)).max(start);
                        if text.is_char_boundary(start) && text.is_char_boundary(end) {
                            text.replace_range(start..end, &change.text);
                        }
                    }
                    None => *text = change.text,
                }
            }
            *v = version;
        }
        self.refresh_later();
    }

    async fn did_save(&self, _: DidSaveTextDocumentParams) {
        self.with_workspace(Workspace::reread_disk);
        self.refresh().await;
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        let event = params.event;
        self.with_workspace(|ws| {
            for f in event.removed.iter().filter_map(|f| folder_path(&f.uri)) {
                ws.remove_folder(&f);
            }
            for f in event.added.iter().filter_map(|f| folder_path(&f.uri)) {
                ws.add_folder(f);
            }
        });
        self.refresh().await;
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let name = doc_name(&params.text_document.uri);
        self.with_workspace(|ws| {
            ws.open.remove(&name);
            ws.reread_disk();
        });
        self.client
            .publish_diagnostics(params.text_document.uri, Vec::new(), None)
            .await;
        self.refresh().await;
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let p = params.text_document_position_params;
        let Some(snap) = self.snapshot(&p.text_document.uri) else {
            return Ok(None);
        };
        Ok(ide::hover(
            &snap,
            &doc_name(&p.text_document.uri),
            convert::pos(p.position),
        )
        .map(|text| Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: text,
            }),
            range: None,
        }))
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let p = params.text_document_position_params;
        let Some(snap) = self.snapshot(&p.text_document.uri) else {
            return Ok(None);
        };
        let found = ide::definition(
            &snap,
            &doc_name(&p.text_document.uri),
            convert::pos(p.position),
        );
        Ok(found.and_then(|l| {
            Some(GotoDefinitionResponse::Scalar(Location {
                uri: convert::uri(&l.file)?,
                range: convert::range(l.range),
            }))
        }))
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let p = params.text_document_position;
        let Some(snap) = self.snapshot(&p.text_document.uri) else {
            return Ok(None);
        };
        let found = ide::references(
            &snap,
            &doc_name(&p.text_document.uri),
            convert::pos(p.position),
            params.context.include_declaration,
        );
        Ok(Some(
            found
                .into_iter()
                .filter_map(|l| {
                    Some(Location {
                        uri: convert::uri(&l.file)?,
                        range: convert::range(l.range),
                    })
                })
                .collect(),
        ))
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        let Some(snap) = self.snapshot(&params.text_document.uri) else {
            return Ok(None);
        };
        #[allow(deprecated)]
        let symbols = ide::document_symbols(&snap, &doc_name(&params.text_document.uri))
            .into_iter()
            .map(|s| DocumentSymbol {
                name: s.name,
                detail: None,
                kind: convert::symbol_kind(s.kind),
                tags: None,
                deprecated: None,
                range: convert::range(s.range),
                selection_range: convert::range(s.selection),
                children: None,
            })
            .collect();
        Ok(Some(DocumentSymbolResponse::Nested(symbols)))
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<OneOf<Vec<SymbolInformation>, Vec<WorkspaceSymbol>>>> {
        let snaps = match self.state.lock() {
            Ok(mut ws) => ws.all_snapshots(),
            Err(_) => return Ok(None),
        };
        let symbols = snaps
            .iter()
            .flat_map(|snap| ide::workspace_symbols(snap, &params.query))
            .filter_map(|s| {
                Some(WorkspaceSymbol {
                    name: s.name,
                    kind: convert::symbol_kind(s.kind),
                    tags: None,
                    container_name: None,
                    location: OneOf::Left(Location {
                        uri: convert::uri(&s.file)?,
                        range: convert::range(s.selection),
                    }),
                    data: None,
                })
            })
            .collect();
        Ok(Some(OneOf::Right(symbols)))
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let p = params.text_document_position;
        let Some(snap) = self.snapshot(&p.text_document.uri) else {
            return Ok(None);
        };
        let items = ide::completion(
            &snap,
            &doc_name(&p.text_document.uri),
            convert::pos(p.position),
        )
        .into_iter()
        .map(|c| CompletionItem {
            label: c.label,
            kind: Some(convert::completion_kind(c.kind)),
            detail: Some(c.detail),
            ..CompletionItem::default()
        })
        .collect();
        Ok(Some(CompletionResponse::Array(items)))
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        let Some(snap) = self.snapshot(&params.text_document.uri) else {
            return Ok(None);
        };
        Ok(ide::prepare_rename(
            &snap,
            &doc_name(&params.text_document.uri),
            convert::pos(params.position),
        )
        .map(|r| PrepareRenameResponse::Range(convert::range(r))))
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let p = params.text_document_position;
        let Some(snap) = self.snapshot(&p.text_document.uri) else {
            return Ok(None);
        };
        let edits = ide::rename(
            &snap,
            &doc_name(&p.text_document.uri),
            convert::pos(p.position),
            &params.new_name,
        )
        .map_err(tower_lsp_server::jsonrpc::Error::invalid_params)?;
        #[allow(
            clippy::mutable_key_type,
            reason = "lsp-types keys a workspace edit's changes by Uri"
        )]
        let mut changes: std::collections::HashMap<Uri, Vec<TextEdit>> =
            std::collections::HashMap::new();
        for (loc, text) in edits {
            if let Some(uri) = convert::uri(&loc.file) {
                changes.entry(uri).or_default().push(TextEdit {
                    range: convert::range(loc.range),
                    new_text: text,
                });
            }
        }
        Ok(Some(WorkspaceEdit {
            changes: Some(changes),
            ..WorkspaceEdit::default()
        }))
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        let Some(snap) = self.snapshot(&params.text_document.uri) else {
            return Ok(None);
        };
        Ok(Some(
            ide::folding_ranges(&snap, &doc_name(&params.text_document.uri))
                .into_iter()
                .map(|(start, end)| FoldingRange {
                    start_line: start,
                    end_line: end,
                    ..FoldingRange::default()
                })
                .collect(),
        ))
    }

    async fn signature_help(&self, params: SignatureHelpParams) -> Result<Option<SignatureHelp>> {
        let p = params.text_document_position_params;
        let Some(snap) = self.snapshot(&p.text_document.uri) else {
            return Ok(None);
        };
        Ok(ide::signature_help(
            &snap,
            &doc_name(&p.text_document.uri),
            convert::pos(p.position),
        )
        .map(|(label, doc, active)| SignatureHelp {
            signatures: vec![SignatureInformation {
                label,
                documentation: Some(Documentation::String(doc)),
                parameters: None,
                active_parameter: Some(active),
            }],
            active_signature: Some(0),
            active_parameter: Some(active),
        }))
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let Some(snap) = self.snapshot(&params.text_document.uri) else {
            return Ok(None);
        };
        let uri = params.text_document.uri;
        let range = ide::Range {
            start: convert::pos(params.range.start),
            end: convert::pos(params.range.end),
        };
        let actions = ide::quick_fixes(&snap, &doc_name(&uri), range)
            .into_iter()
            .filter_map(|fix| {
                let edit = TextEdit {
                    range: convert::range(fix.range),
                    new_text: fix.new_text,
                };
                let target = convert::uri(&fix.file)?;
                Some(CodeActionOrCommand::CodeAction(CodeAction {
                    title: fix.title,
                    kind: Some(CodeActionKind::QUICKFIX),
                    edit: Some(WorkspaceEdit {
                        changes: Some(std::collections::HashMap::from([(target, vec![edit])])),
                        ..WorkspaceEdit::default()
                    }),
                    ..CodeAction::default()
                }))
            })
            .collect();
        Ok(Some(actions))
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let Some(snap) = self.snapshot(&params.text_document.uri) else {
            return Ok(None);
        };
        let uri = params.text_document.uri;
        let name = doc_name(&uri);
        Ok(Some(
            ide::test_lenses(&snap, &name)
                .into_iter()
                .map(|(r, title)| CodeLens {
                    range: convert::range(r),
                    command: Some(Command {
                        title,
                        command: RUN_TESTS_COMMAND.into(),
                        arguments: Some(vec![serde_json::json!(uri.as_str())]),
                    }),
                    data: None,
                })
                .collect(),
        ))
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        let Some(snap) = self.snapshot(&params.text_document.uri) else {
            return Ok(None);
        };
        Ok(Some(
            ide::inlay_hints(&snap, &doc_name(&params.text_document.uri))
                .into_iter()
                .map(|(p, label, kind)| InlayHint {
                    position: convert::position(p),
                    label: InlayHintLabel::String(label),
                    kind: Some(match kind {
                        ide::HintKind::Type => InlayHintKind::TYPE,
                        ide::HintKind::Value => InlayHintKind::PARAMETER,
                    }),
                    text_edits: None,
                    tooltip: None,
                    padding_left: None,
                    padding_right: None,
                    data: None,
                })
                .collect(),
        ))
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        let Some(snap) = self.snapshot(&params.text_document.uri) else {
            return Ok(None);
        };
        let tokens = ide::semantic_tokens(&snap, &doc_name(&params.text_document.uri));
        Ok(Some(SemanticTokensResult::Tokens(
            convert::semantic_tokens(&tokens),
        )))
    }

    async fn semantic_tokens_range(
        &self,
        params: SemanticTokensRangeParams,
    ) -> Result<Option<SemanticTokensRangeResult>> {
        let Some(snap) = self.snapshot(&params.text_document.uri) else {
            return Ok(None);
        };
        let (first, last) = (params.range.start.line, params.range.end.line);
        let tokens: Vec<_> = ide::semantic_tokens(&snap, &doc_name(&params.text_document.uri))
            .into_iter()
            .filter(|t| (first..=last).contains(&t.line))
            .collect();
        Ok(Some(SemanticTokensRangeResult::Tokens(
            convert::semantic_tokens(&tokens),
        )))
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        let Some(snap) = self.snapshot(&params.text_document.uri) else {
            return Ok(None);
        };
        Ok(
            ide::formatting(&snap, &doc_name(&params.text_document.uri)).map(|(r, text)| {
                vec![TextEdit {
                    range: convert::range(r),
                    new_text: text,
                }]
            }),
        )
    }
}

/// What the server does: every capability here has a handler and a test.
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        })),
        folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
        signature_help_provider: Some(SignatureHelpOptions {
            trigger_characters: Some(vec!["(".into(), ",".into()]),
            ..SignatureHelpOptions::default()
        }),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        code_lens_provider: Some(CodeLensOptions {
            resolve_provider: Some(false),
        }),
        inlay_hint_provider: Some(OneOf::Left(true)),
        semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(
            SemanticTokensOptions {
                legend: convert::legend(),
                full: Some(SemanticTokensFullOptions::Bool(true)),
                range: Some(true),
                ..SemanticTokensOptions::default()
            },
        )),
        workspace: Some(WorkspaceServerCapabilities {
            workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                supported: Some(true),
                change_notifications: Some(OneOf::Left(true)),
            }),
            file_operations: None,
        }),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into(), ":".into(), " ".into()]),
            ..CompletionOptions::default()
        }),
        ..ServerCapabilities::default()
    }
}

/// The service, for a transport of the caller's choosing (tests use an
/// in-memory duplex).
pub fn service() -> (LspService<Backend>, tower_lsp_server::ClientSocket) {
    service_with(Arc::default())
}

/// [`service`], raising `shut_down` when the client asks it to shut down.
fn service_with(
    shut_down: Arc<std::sync::atomic::AtomicBool>,
) -> (LspService<Backend>, tower_lsp_server::ClientSocket) {
    LspService::new(|client| Backend {
        client,
        state: Arc::new(Mutex::new(Workspace::default())),
        shut_down,
    })
}

/// Serves `service` over a transport, behind the guard that keeps one
/// malformed message from ending the session, until `exit` (or the end of
/// the input). Whether `shutdown` came first, as the protocol asks.
pub async fn serve<I, O>(input: I, output: O) -> bool
where
    I: tokio::io::AsyncRead + Unpin + Send + 'static,
    O: tokio::io::AsyncWrite + Unpin,
{
    let (guarded_write, guarded_read) = tokio::io::duplex(1 << 20);
    let pump = tokio::spawn(guard::pump(input, guarded_write));
    let shut_down = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (service, socket) = service_with(Arc::clone(&shut_down));
    Server::new(guarded_read, output, socket)
        .serve(service)
        .await;
    pump.abort();
    shut_down.load(std::sync::atomic::Ordering::SeqCst)
}

/// Serves over stdio until the client exits; whether it asked to shut down
/// first (the exit code is 0 then, 1 otherwise).
pub fn serve_stdio() -> std::io::Result<bool> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let clean = runtime.block_on(serve(tokio::io::stdin(), tokio::io::stdout()));
    // Standard input is read on a blocking thread that may be waiting for
    // bytes that never come: do not wait for it, or the process outlives
    // `exit` until the client closes the pipe.
    runtime.shutdown_background();
    Ok(clean)
}
