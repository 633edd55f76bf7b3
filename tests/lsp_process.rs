//! `tensen lsp` as an editor runs it: a process on stdio that ends on
//! `exit`, with 0 after `shutdown` and 1 without, even while the editor
//! keeps its end of the pipe open.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

fn send(to: &mut ChildStdin, message: &serde_json::Value) {
    let body = message.to_string();
    write!(to, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    to.flush().unwrap();
}

/// The next framed message from the server.
fn receive(from: &mut BufReader<ChildStdout>) -> serde_json::Value {
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        assert!(from.read_line(&mut line).unwrap() > 0, "the server closed");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse().unwrap();
        }
    }
    let mut body = vec![0u8; length];
    from.read_exact(&mut body).unwrap();
    serde_json::from_slice(&body).unwrap()
}

/// The response to request `id`, skipping notifications.
fn response(from: &mut BufReader<ChildStdout>, id: u64) -> serde_json::Value {
    loop {
        let m = receive(from);
        if m["id"] == id {
            return m;
        }
    }
}

/// Waits for the process to end, up to a few seconds.
fn exit_code(child: &mut Child) -> Option<i32> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    panic!("`tensen lsp` still runs 10 s after `exit`");
}

/// `tensen lsp` started and initialized, as an editor starts it.
fn start() -> (Child, ChildStdin, BufReader<ChildStdout>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tensen"))
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut to = child.stdin.take().unwrap();
    let mut from = BufReader::new(child.stdout.take().unwrap());
    send(
        &mut to,
        &serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"capabilities": {}, "rootUri": null}}),
    );
    let init = response(&mut from, 1);
    assert!(init["result"]["capabilities"].is_object(), "{init}");
    (child, to, from)
}

fn session(shutdown: bool) -> Option<i32> {
    let (mut child, mut to, mut from) = start();
    send(
        &mut to,
        &serde_json::json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
    );
    if shutdown {
        shut_down(&mut to, &mut from, 2);
    }
    send(
        &mut to,
        &serde_json::json!({"jsonrpc": "2.0", "method": "exit"}),
    );
    // The editor keeps its end of stdin open: `exit` alone must end it.
    let code = exit_code(&mut child);
    drop(to);
    code
}

/// Asks the server to shut down (request `id`); it must answer without error.
fn shut_down(to: &mut ChildStdin, from: &mut BufReader<ChildStdout>, id: u64) {
    send(
        to,
        &serde_json::json!({"jsonrpc": "2.0", "id": id, "method": "shutdown"}),
    );
    let done = response(from, id);
    assert!(done.get("error").is_none(), "{done}");
}

#[test]
fn exit_ends_the_server_with_0_after_shutdown_and_1_without() {
    for _ in 0..5 {
        assert_eq!(session(true), Some(0));
        assert_eq!(session(false), Some(1));
    }
}

#[test]
fn json_that_is_not_json_rpc_gets_an_error_and_the_session_goes_on() {
    let (mut child, mut to, mut from) = start();
    // Valid JSON of the wrong shapes: no `jsonrpc`, a method that is not
    // text, params that are a number, an id that is an object.
    send(&mut to, &serde_json::json!({"id": 7, "foo": 1}));
    send(
        &mut to,
        &serde_json::json!({"jsonrpc": "2.0", "id": 8, "method": 5}),
    );
    send(
        &mut to,
        &serde_json::json!({"jsonrpc": "2.0", "id": 9, "method": "textDocument/hover", "params": 3}),
    );
    send(
        &mut to,
        &serde_json::json!({"jsonrpc": "2.0", "id": {"a": 1}, "method": "x"}),
    );
    send(&mut to, &serde_json::json!(42));
    for id in [7, 8, 9] {
        let r = response(&mut from, id);
        assert!(r["error"]["code"].is_i64(), "{r}");
    }
    // The session goes on.
    shut_down(&mut to, &mut from, 10);
    send(
        &mut to,
        &serde_json::json!({"jsonrpc": "2.0", "method": "exit"}),
    );
    assert_eq!(exit_code(&mut child), Some(0));
}

#[test]
fn a_batch_and_ids_the_server_cannot_read_do_not_end_the_session() {
    let (mut child, mut to, mut from) = start();
    send(
        &mut to,
        &serde_json::json!([{"jsonrpc": "2.0", "id": 3, "method": "x"}]),
    );
    send(
        &mut to,
        &serde_json::json!({"jsonrpc": "2.0", "id": 1.5, "method": "x"}),
    );
    send(
        &mut to,
        &serde_json::json!({"jsonrpc": "2.0", "id": 18_446_744_073_709_551_615u64, "method": "x"}),
    );
    // The session goes on.
    shut_down(&mut to, &mut from, 11);
    send(
        &mut to,
        &serde_json::json!({"jsonrpc": "2.0", "method": "exit"}),
    );
    assert_eq!(exit_code(&mut child), Some(0));
}
