//! A guard in front of the server's input. tower-lsp-server ends the whole
//! session at the first message it cannot decode (its framed reader stops
//! after an error), so one malformed message from a client would kill the
//! editor's server. This reads the frames itself and hands on only
//! well-formed ones. A frame that is not a JSON-RPC message the server can
//! decode (not JSON, JSON of another shape, a batch) becomes, when it has an id, a request under that
//! id (`tensen/invalidMessage`, which the server answers with a "method not
//! found" error), or else a harmless `$/tensen/malformed` notification;
//! bytes that are not a frame are skipped up to the next `Content-Length`.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

const MALFORMED: &str = r#"{"jsonrpc":"2.0","method":"$/tensen/malformed"}"#;
/// A frame bigger than this is refused (and skipped) rather than buffered.
const MAX_FRAME: usize = 256 << 20;

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The length a header block declares, if it is a valid one.
fn content_length(headers: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(headers).ok()?;
    text.split("\r\n").find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())
            .flatten()
    })
}

/// Whether `body` is a message the server can decode: asked of the
/// server's own message types, so the guard and the server never disagree.
fn json_rpc(body: &[u8]) -> bool {
    use tower_lsp_server::jsonrpc::{Request, Response};
    serde_json::from_slice::<Response>(body).is_ok()
        || serde_json::from_slice::<Request>(body).is_ok()
}

/// What a message of the wrong shape becomes: a request the server
/// answers with an error (method not found) under the message's own id,
/// or, without a usable id, a notification nobody answers.
fn invalid(v: &serde_json::Value) -> Vec<u8> {
    use tower_lsp_server::jsonrpc::Id;
    match v
        .get("id")
        .and_then(|id| serde_json::from_value::<Id>(id.clone()).ok())
    {
        Some(id) if id != Id::Null => {
            serde_json::json!({"jsonrpc": "2.0", "id": id, "method": "tensen/invalidMessage"})
                .to_string()
                .into_bytes()
        }
        _ => MALFORMED.as_bytes().to_vec(),
    }
}

/// Copies frames from `input` to `output` until `input` ends.
pub async fn pump(mut input: impl AsyncRead + Unpin, mut output: impl AsyncWrite + Unpin) {
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        // Complete frames in the buffer.
        while let Some(end) = find(&buf, b"\r\n\r\n") {
            let Some(len) = content_length(buf.get(..end).unwrap_or(&[])) else {
                // Not a header block: skip to the next one.
                let skip = find(buf.get(1..).unwrap_or(&[]), b"Content-Length")
                    .map_or(buf.len(), |i| i + 1);
                buf.drain(..skip);
                continue;
            };
            if len > MAX_FRAME {
                buf.clear();
                break;
            }
            let start = end + 4;
            if buf.len() < start + len {
                break;
            }
            let body: Vec<u8> = buf.get(start..start + len).unwrap_or(&[]).to_vec();
            buf.drain(..start + len);
            let body = if json_rpc(&body) {
                body
            } else {
                match serde_json::from_slice::<serde_json::Value>(&body) {
                    Ok(v) => invalid(&v),
                    Err(_) => MALFORMED.as_bytes().to_vec(),
                }
            };
            let frame = format!("Content-Length: {}\r\n\r\n", body.len());
            if output.write_all(frame.as_bytes()).await.is_err()
                || output.write_all(&body).await.is_err()
                || output.flush().await.is_err()
            {
                return;
            }
        }
        match input.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or(&[])),
        }
    }
}
