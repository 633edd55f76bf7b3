//! The language server, driven over JSON-RPC in memory: initialize (its
//! capabilities snapshotted), diagnostics on open and change with their
//! versions, hover, definition, symbols, completion, formatting, and
//! robustness against garbage, unknown documents and random edits.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream};

const RULES: &str = "/// Logins without MFA.\nsignal login on cloudtrail {\n    when eventName == \"ConsoleLogin\"\n    entity user = userIdentity.userName\n}\n\nsequence twice {\n    by user\n    within 1h\n    steps {\n        a: login\n        b: logn\n    }\n}\n";

type Half<T> = T;

struct Client {
    write: tokio::io::WriteHalf<DuplexStream>,
    read: BufReader<tokio::io::ReadHalf<DuplexStream>>,
    next_id: i64,
    /// Notifications seen while waiting for responses.
    inbox: Vec<Value>,
}

impl Client {
    fn start() -> Half<Client> {
        let (client_side, server_side) = tokio::io::duplex(1 << 22);
        let (server_read, server_write) = tokio::io::split(server_side);
        tokio::spawn(tensen::lsp::serve(server_read, server_write));
        let (read, write) = tokio::io::split(client_side);
        Client {
            write,
            read: BufReader::new(read),
            next_id: 0,
            inbox: Vec::new(),
        }
    }

    async fn send_raw(&mut self, body: &str) {
        let framed = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        self.write.write_all(framed.as_bytes()).await.unwrap();
    }

    async fn send(&mut self, msg: Value) {
        self.send_raw(&msg.to_string()).await;
    }

    async fn receive(&mut self) -> Value {
        let read = async {
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                self.read.read_line(&mut line).await.unwrap();
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some(n) = line.strip_prefix("Content-Length: ") {
                    length = n.parse().unwrap();
                }
            }
            let mut body = vec![0u8; length];
            self.read.read_exact(&mut body).await.unwrap();
            serde_json::from_slice::<Value>(&body).unwrap()
        };
        tokio::time::timeout(std::time::Duration::from_secs(30), read)
            .await
            .expect("the server answers")
    }

    async fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        loop {
            let msg = self.receive().await;
            if msg.get("id") == Some(&json!(id)) {
                return msg;
            }
            self.inbox.push(msg);
        }
    }

    async fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}))
            .await;
    }

    /// The next diagnostics published for `uri`.
    async fn diagnostics(&mut self, uri: &str) -> Value {
        loop {
            if let Some(i) = self.inbox.iter().position(|m| {
                m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
            }) {
                return self.inbox.remove(i)["params"].clone();
            }
            let msg = self.receive().await;
            self.inbox.push(msg);
        }
    }
}

fn pos(line: u32, character: u32) -> Value {
    json!({"line": line, "character": character})
}

async fn started(dir: &std::path::Path) -> (Client, String) {
    let mut c = Client::start();
    let root = format!("file://{}", dir.display());
    let init = c
        .request(
            "initialize",
            json!({"processId": null, "rootUri": root, "capabilities": {}}),
        )
        .await;
    insta::assert_json_snapshot!("initialize", init["result"]);
    c.notify("initialized", json!({})).await;
    let uri = format!("file://{}/rules.tsn", dir.display());
    (c, uri)
}

#[tokio::test]
async fn the_server_answers_like_the_checker_and_the_ide_layer() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.tsn"), RULES).unwrap();
    let (mut c, uri) = started(dir.path()).await;
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "tensen", "version": 1, "text": RULES}}),
    )
    .await;
    let d = c.diagnostics(&uri).await;
    assert_eq!(d["version"], 1);
    assert_eq!(d["diagnostics"].as_array().unwrap().len(), 1, "{d}");
    assert_eq!(d["diagnostics"][0]["code"], "unknown-name");
    assert_eq!(d["diagnostics"][0]["range"]["start"], pos(11, 11));
    // Fix the typo with an incremental edit: `logn` → `login`.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2},
               "contentChanges": [{"range": {"start": pos(11, 14), "end": pos(11, 14)}, "text": "i"}]}),
    )
    .await;
    let d = c.diagnostics(&uri).await;
    assert_eq!(d["version"], 2);
    assert_eq!(d["diagnostics"], json!([]), "{d}");

    let hover = c
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": pos(10, 12)}),
        )
        .await;
    let text = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(
        text.contains("signal login on cloudtrail") && text.contains("Logins without MFA."),
        "{text}"
    );

    let def = c
        .request(
            "textDocument/definition",
            json!({"textDocument": {"uri": uri}, "position": pos(11, 12)}),
        )
        .await;
    assert_eq!(def["result"]["uri"], uri);
    assert_eq!(def["result"]["range"]["start"], pos(1, 7));

    let refs = c
        .request(
            "textDocument/references",
            json!({"textDocument": {"uri": uri}, "position": pos(1, 8), "context": {"includeDeclaration": true}}),
        )
        .await;
    assert_eq!(refs["result"].as_array().unwrap().len(), 3, "{refs}");

    let symbols = c
        .request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    let names: Vec<&str> = symbols["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["login", "twice"]);
    let ws = c.request("workspace/symbol", json!({"query": "twi"})).await;
    assert_eq!(ws["result"][0]["name"], "twice");

    let completion = c
        .request(
            "textDocument/completion",
            json!({"textDocument": {"uri": uri}, "position": pos(3, 31)}),
        )
        .await;
    let labels: Vec<&str> = completion["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert!(
        labels.contains(&"userName") && labels.contains(&"arn"),
        "{labels:?}"
    );

    let fmt = c
        .request(
            "textDocument/formatting",
            json!({"textDocument": {"uri": uri}, "options": {"tabSize": 4, "insertSpaces": true}}),
        )
        .await;
    assert_eq!(fmt["result"], Value::Null, "already formatted: {fmt}");

    let rename = c
        .request("textDocument/rename", json!({"textDocument": {"uri": uri}, "position": pos(1, 8), "newName": "console_login"}))
        .await;
    assert_eq!(
        rename["result"]["changes"][&uri].as_array().unwrap().len(),
        3,
        "{rename}"
    );
    let refused = c
        .request(
            "textDocument/rename",
            json!({"textDocument": {"uri": uri}, "position": pos(1, 8), "newName": "when"}),
        )
        .await;
    assert_eq!(
        refused["error"]["message"], "`when` is a keyword",
        "{refused}"
    );
    let prepare = c
        .request(
            "textDocument/prepareRename",
            json!({"textDocument": {"uri": uri}, "position": pos(1, 8)}),
        )
        .await;
    assert_eq!(prepare["result"]["start"], pos(1, 7));
    let folds = c
        .request(
            "textDocument/foldingRange",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    assert_eq!(folds["result"][0]["startLine"], 1);
    let sig = c
        .request(
            "textDocument/signatureHelp",
            json!({"textDocument": {"uri": uri}, "position": pos(2, 9)}),
        )
        .await;
    assert_eq!(sig["result"], Value::Null, "not in a call: {sig}");
    // A quick fix for a typo, from the diagnostic's did-you-mean.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3},
               "contentChanges": [{"range": {"start": pos(11, 11), "end": pos(11, 16)}, "text": "logn"}]}),
    )
    .await;
    let actions = c
        .request("textDocument/codeAction", json!({"textDocument": {"uri": uri}, "range": {"start": pos(11, 12), "end": pos(11, 12)}, "context": {"diagnostics": []}}))
        .await;
    assert_eq!(
        actions["result"][0]["title"], "Change to `login`",
        "{actions}"
    );

    let lens = c
        .request(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    assert_eq!(
        lens["result"],
        json!([]),
        "no tests, or rules with errors: {lens}"
    );
    let hints = c
        .request(
            "textDocument/inlayHint",
            json!({"textDocument": {"uri": uri}, "range": {"start": pos(0, 0), "end": pos(20, 0)}}),
        )
        .await;
    assert_eq!(
        hints["result"],
        json!([]),
        "no severity levels or computed constants here: {hints}"
    );

    // Semantic tokens, delta-encoded: line 1 is `/// Logins without MFA.`
    // (a documentation comment), then `signal` (keyword) and `login` (an
    // event's declaration) on line 2.
    // (The legend is advertised in the snapshotted initialize response.)
    let legend = tensen::ide::TOKEN_TYPES;
    let tokens = c
        .request(
            "textDocument/semanticTokens/full",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    let data: Vec<u64> = tokens["result"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(data.len() % 5, 0);
    let first: Vec<(u64, u64, u64, &str, u64)> = data
        .chunks(5)
        .take(3)
        .map(|t| (t[0], t[1], t[2], legend[t[3] as usize], t[4]))
        .collect();
    assert_eq!(
        first,
        [
            (0, 0, 23, "comment", 2),
            (1, 0, 6, "keyword", 0),
            (0, 7, 5, "event", 1)
        ]
    );
    // A range asks for fewer lines, and gets the same tokens for them.
    let range = c
        .request(
            "textDocument/semanticTokens/range",
            json!({"textDocument": {"uri": uri}, "range": {"start": pos(0, 0), "end": pos(1, 99)}}),
        )
        .await;
    let range_data = range["result"]["data"].as_array().unwrap();
    assert_eq!(range_data.len(), 5 * 5, "{range}");
    assert_eq!(
        range_data[..15],
        tokens["result"]["data"].as_array().unwrap()[..15]
    );

    let shut = c.request("shutdown", Value::Null).await;
    assert_eq!(shut["result"], Value::Null);
}

#[tokio::test]
async fn garbage_unknown_documents_and_random_edits_never_stop_it() {
    let dir = tempfile::tempdir().unwrap();
    let (mut c, uri) = started(dir.path()).await;
    // Malformed JSON-RPC, garbage between frames, an unknown method: the
    // session goes on.
    c.send_raw("{not json").await;
    c.write.write_all(b"garbage\r\n\r\n").await.unwrap();
    let unknown = c.request("no/such/method", Value::Null).await;
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    // Requests about documents nobody opened, and positions past the end.
    let hover = c
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": "file:///nowhere.tsn"}, "position": pos(9999, 9999)}),
        )
        .await;
    assert_eq!(hover["result"], Value::Null, "{hover}");
    // A real rule file of the examples.
    let real = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/rules/attack_sequences.tsn"),
    )
    .unwrap();
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "tensen", "version": 1, "text": real}}),
    )
    .await;
    c.diagnostics(&uri).await;
    // Random edits (a seeded generator): inserts and deletes anywhere,
    // including past the end; the server keeps answering, and its answers
    // describe the text it was sent.
    let edits: usize = std::env::var("TENSEN_LSP_EDITS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let mut text = real.clone();
    let mut x: u64 = 42;
    let mut next = move |m: u64| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) % m.max(1)
    };
    let pieces = [
        "signal ", "{", "}", "\n", "when ", "\"", "é", "😀", " and ", "steps {", "a: ",
    ];
    for version in 2..(2 + edits as i32) {
        let lines: Vec<&str> = text.split('\n').collect();
        let line = next(lines.len() as u64 + 2) as u32;
        let character = next(40) as u32;
        let insert = pieces[next(pieces.len() as u64) as usize];
        let (end_line, end_char) = if next(3) == 0 {
            (line, character + next(5) as u32)
        } else {
            (line, character)
        };
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version},
                   "contentChanges": [{"range": {"start": pos(line, character), "end": pos(end_line, end_char)}, "text": insert}]}),
        )
        .await;
        // Mirror the edit the way the protocol defines it.
        let index = tensen::ide::LineIndex::new(&text);
        let s = index.offset(tensen::ide::Pos { line, character });
        let e = index
            .offset(tensen::ide::Pos {
                line: end_line,
                character: end_char,
            })
            .max(s);
        text.replace_range(s..e, insert);
        if version % 50 == 0 {
            let h = c
                .request(
                    "textDocument/hover",
                    json!({"textDocument": {"uri": uri}, "position": pos(line, character)}),
                )
                .await;
            assert!(h.get("result").is_some(), "{h}");
            let f = c.request("textDocument/formatting", json!({"textDocument": {"uri": uri}, "options": {"tabSize": 4, "insertSpaces": true}})).await;
            assert!(f.get("result").is_some(), "{f}");
            let t = c
                .request(
                    "textDocument/semanticTokens/full",
                    json!({"textDocument": {"uri": uri}}),
                )
                .await;
            let data = t["result"]["data"].as_array().unwrap();
            assert_eq!(data.len() % 5, 0, "{t}");
            // Every token has a length; none starts where the last one did.
            for tok in data.chunks(5) {
                assert!(tok[2].as_u64().unwrap() > 0, "{t}");
            }
        }
    }
    // The server's text is the client's: formatting it gives what `fmt` gives.
    let f = c
        .request(
            "textDocument/formatting",
            json!({"textDocument": {"uri": uri}, "options": {"tabSize": 4, "insertSpaces": true}}),
        )
        .await;
    match tensen::syntax::format::format_source(&text) {
        Ok(formatted) if formatted != text => {
            assert_eq!(f["result"][0]["newText"], formatted)
        }
        _ => assert_eq!(f["result"], Value::Null, "{f}"),
    }
}

#[tokio::test]
async fn each_workspace_folder_is_a_ruleset_and_folders_come_and_go() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // Folder b defines `login` on disk; folder a has a file using it.
    std::fs::write(
        b.path().join("signals.tsn"),
        "signal login on cloudtrail {\n    when eventName == \"ConsoleLogin\"\n    entity user = userIdentity.userName\n}\n",
    )
    .unwrap();
    let uses = "sequence twice {\n    by user\n    within 1h\n    steps {\n        a: login\n        b: login\n    }\n}\n";
    let uri_b = format!("file://{}/uses.tsn", b.path().display());
    let folder = |d: &tempfile::TempDir| json!({"uri": format!("file://{}", d.path().display()), "name": "x"});
    let mut c = Client::start();
    c.request(
        "initialize",
        json!({"processId": null, "capabilities": {}, "workspaceFolders": [folder(&a)]}),
    )
    .await;
    c.notify("initialized", json!({})).await;
    // Opened before its folder is part of the workspace: alone, `login` is
    // unknown.
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri_b, "languageId": "tensen", "version": 1, "text": uses}}),
    )
    .await;
    let d = c.diagnostics(&uri_b).await;
    let codes: Vec<&Value> = d["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["code"])
        .collect();
    assert_eq!(
        codes,
        [&json!("unknown-name"), &json!("unknown-name")],
        "{d}"
    );
    // Adding folder b makes its files one ruleset with the document.
    c.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [folder(&b)], "removed": []}}),
    )
    .await;
    let d = c.diagnostics(&uri_b).await;
    assert_eq!(d["diagnostics"], json!([]), "{d}");
    let symbols = c
        .request("workspace/symbol", json!({"query": "login"}))
        .await;
    let names: Vec<&Value> = symbols["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["name"])
        .collect();
    assert_eq!(names, [&json!("login")], "{symbols}");
    // Folder a knows nothing of b: a file there using `login` is an error.
    let uri_a = format!("file://{}/other.tsn", a.path().display());
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri_a, "languageId": "tensen", "version": 1, "text": uses}}),
    )
    .await;
    let d = c.diagnostics(&uri_a).await;
    assert_eq!(d["diagnostics"].as_array().unwrap().len(), 2, "{d}");
    // Removing b again: the document is on its own once more.
    c.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [], "removed": [folder(&b)]}}),
    )
    .await;
    loop {
        let d = c.diagnostics(&uri_b).await;
        if !d["diagnostics"].as_array().unwrap().is_empty() {
            assert_eq!(d["diagnostics"][0]["code"], "unknown-name", "{d}");
            break;
        }
    }
}
