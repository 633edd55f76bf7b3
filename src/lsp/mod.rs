//! `tensen lsp`: the language server, over stdio, on tower-lsp-server
//! (which hands notifications over in order). Thin glue: the documents are
//! kept here, one writer applies changes in order (versions checked), and
//! every request runs an `ide` function on a consistent snapshot of the
//! workspace (every `*.tsn` under its folder, open buffers first).

mod convert;
mod guard;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::*;
use tower_lsp_server::UriExt;
use tower_lsp_server::{Client, LanguageServer, LspService, Server};

use crate::ide::{self, LineIndex, Snapshot};

/// Diagnostics wait this long after a change for the next one.
const DEBOUNCE: std::time::Duration = std::time::Duration::from_millis(15);

#[derive(Default)]
struct State {
    /// Bumped by every change: a debounced publish that sees a newer
    /// generation leaves it to the later one.
    generation: u64,
    root: Option<PathBuf>,
    /// The workspace's rule files as on disk.
    disk: BTreeMap<String, String>,
    /// Open documents: name → (version, text).
    open: BTreeMap<String, (i32, String)>,
    /// The last snapshot, rebuilt after every change.
    snapshot: Option<Arc<Snapshot>>,
}

pub struct Backend {
    client: Client,
    state: Arc<Mutex<State>>,
}

impl Backend {
    fn snapshot(&self) -> Option<Arc<Snapshot>> {
        let mut st = self.state.lock().ok()?;
        if st.snapshot.is_none() {
            st.snapshot = Some(Arc::new(build(&st)));
        }
        st.snapshot.clone()
    }

    /// Publishes diagnostics once changes pause for [`DEBOUNCE`]; requests
    /// meanwhile see the latest text (the snapshot is rebuilt on demand).
    fn refresh_later(&self) {
        let generation = match self.state.lock() {
            Ok(mut st) => {
                st.generation += 1;
                st.snapshot = None;
                st.generation
            }
            Err(_) => return,
        };
        let (client, state) = (self.client.clone(), self.state.clone());
        tokio::spawn(async move {
            tokio::time::sleep(DEBOUNCE).await;
            let current = state.lock().map(|st| st.generation).unwrap_or(0);
            if current == generation {
                publish(&client, &state).await;
            }
        });
    }

    fn reread_disk(&self) {
        let root = self.state.lock().ok().and_then(|st| st.root.clone());
        let disk = read_disk(root.as_deref());
        if let Ok(mut st) = self.state.lock() {
            st.disk = disk;
        }
    }

    async fn refresh(&self) {
        if let Ok(mut st) = self.state.lock() {
            st.generation += 1;
        }
        publish(&self.client, &self.state).await;
    }
}

/// Rebuilds the snapshot and publishes the diagnostics of every open
/// document, with the version they were computed for.
async fn publish(client: &Client, state: &Mutex<State>) {
    {
        let (snap, versions) = {
            let Ok(mut st) = state.lock() else {
                return;
            };
            let snap = Arc::new(build(&st));
            st.snapshot = Some(snap.clone());
            let versions: Vec<(String, i32)> =
                st.open.iter().map(|(n, (v, _))| (n.clone(), *v)).collect();
            (snap, versions)
        };
        for (name, version) in versions {
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
}

/// The workspace's rule files, open buffers taking precedence over disk.
fn build(st: &State) -> Snapshot {
    let mut files = st.disk.clone();
    for (name, (_, text)) in &st.open {
        files.insert(name.clone(), text.clone());
    }
    Snapshot::new(st.root.clone(), &files)
}

/// Every rule file under the workspace folder, as on disk: read when the
/// workspace opens and when a file is saved or closed, not on every change.
fn read_disk(root: Option<&std::path::Path>) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let Some(root) = root else { return files };
    let mut found = Vec::new();
    let mut errors = Vec::new();
    let keep = |name: &str| name.ends_with(".tsn");
    crate::files::walk(
        root,
        &crate::check::load::skipped,
        &keep,
        &mut found,
        &mut errors,
    );
    for path in found {
        if let Ok(text) = std::fs::read_to_string(&path) {
            files.insert(path.display().to_string(), text);
        }
    }
    files
}

fn doc_name(uri: &Uri) -> String {
    convert::name(uri)
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        #[allow(deprecated)]
        let root = params
            .workspace_folders
            .as_ref()
            .and_then(|f| f.first())
            .and_then(|f| f.uri.to_file_path().map(|p| p.to_path_buf()))
            .or_else(|| {
                params
                    .root_uri
                    .as_ref()
                    .and_then(|u| u.to_file_path().map(|p| p.to_path_buf()))
            });
        let disk = read_disk(root.as_deref());
        if let Ok(mut st) = self.state.lock() {
            st.root = root;
            st.disk = disk;
            st.snapshot = None;
        }
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "tensen".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            capabilities: capabilities(),
        })
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let doc = params.text_document;
        if let Ok(mut st) = self.state.lock() {
            st.open.insert(doc_name(&doc.uri), (doc.version, doc.text));
        }
        self.refresh().await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let name = doc_name(&params.text_document.uri);
        let version = params.text_document.version;
        {
            let Ok(mut st) = self.state.lock() else {
                return;
            };
            let Some((v, text)) = st.open.get_mut(&name) else {
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
        self.reread_disk();
        self.refresh().await;
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let name = doc_name(&params.text_document.uri);
        if let Ok(mut st) = self.state.lock() {
            st.open.remove(&name);
        }
        self.reread_disk();
        self.client
            .publish_diagnostics(params.text_document.uri, Vec::new(), None)
            .await;
        self.refresh().await;
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let p = params.text_document_position_params;
        let Some(snap) = self.snapshot() else {
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
        let Some(snap) = self.snapshot() else {
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
        let Some(snap) = self.snapshot() else {
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
        let Some(snap) = self.snapshot() else {
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
        let Some(snap) = self.snapshot() else {
            return Ok(None);
        };
        let symbols = ide::workspace_symbols(&snap, &params.query)
            .into_iter()
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
        let Some(snap) = self.snapshot() else {
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
        let Some(snap) = self.snapshot() else {
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
        let Some(snap) = self.snapshot() else {
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
        let Some(snap) = self.snapshot() else {
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
        let Some(snap) = self.snapshot() else {
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
        let Some(snap) = self.snapshot() else {
            return Ok(None);
        };
        let uri = params.text_document.uri;
        let range = ide::Range {
            start: convert::pos(params.range.start),
            end: convert::pos(params.range.end),
        };
        let actions = ide::quick_fixes(&snap, &doc_name(&uri), range)
            .into_iter()
            .map(|fix| {
                let edit = TextEdit {
                    range: convert::range(fix.range),
                    new_text: fix.new_text,
                };
                CodeActionOrCommand::CodeAction(CodeAction {
                    title: fix.title,
                    kind: Some(CodeActionKind::QUICKFIX),
                    edit: Some(WorkspaceEdit {
                        changes: Some(std::collections::HashMap::from([(uri.clone(), vec![edit])])),
                        ..WorkspaceEdit::default()
                    }),
                    ..CodeAction::default()
                })
            })
            .collect();
        Ok(Some(actions))
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let Some(snap) = self.snapshot() else {
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
                        command: "tensen.runTestsInFile".into(),
                        arguments: Some(vec![serde_json::json!(uri.as_str())]),
                    }),
                    data: None,
                })
                .collect(),
        ))
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        let Some(snap) = self.snapshot() else {
            return Ok(None);
        };
        Ok(Some(
            ide::inlay_hints(&snap, &doc_name(&params.text_document.uri))
                .into_iter()
                .map(|(p, label)| InlayHint {
                    position: convert::position(p),
                    label: InlayHintLabel::String(label),
                    kind: None,
                    text_edits: None,
                    tooltip: None,
                    padding_left: None,
                    padding_right: None,
                    data: None,
                })
                .collect(),
        ))
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        let Some(snap) = self.snapshot() else {
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
    LspService::new(|client| Backend {
        client,
        state: Arc::new(Mutex::new(State::default())),
    })
}

/// Serves `service` over a transport, behind the guard that keeps one
/// malformed message from ending the session.
pub async fn serve<I, O>(input: I, output: O)
where
    I: tokio::io::AsyncRead + Unpin + Send + 'static,
    O: tokio::io::AsyncWrite + Unpin,
{
    let (guarded_write, guarded_read) = tokio::io::duplex(1 << 20);
    let pump = tokio::spawn(guard::pump(input, guarded_write));
    let (service, socket) = service();
    Server::new(guarded_read, output, socket)
        .serve(service)
        .await;
    pump.abort();
}

/// Serves over stdio until the client exits.
pub fn serve_stdio() -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(tokio::io::stdin(), tokio::io::stdout()));
    Ok(())
}
