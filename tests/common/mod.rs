//! What the tests of the `tensen` binary share: running it, feeding it
//! standard input, and where the project is.

#![allow(
    dead_code,
    clippy::unwrap_used,
    reason = "each test file uses a part; tests fail loudly on purpose"
)]

pub mod streams;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// The project's folder.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `tensen` binary with `args`, colour off.
pub fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tensen"));
    cmd.args(args).env("NO_COLOR", "1");
    cmd
}

/// Runs `cmd` to its end with `input` on standard input (none: standard
/// input is empty), capturing its outputs.
pub fn output_with(cmd: &mut Command, input: Option<&[u8]>) -> Output {
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(bytes) = input {
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    child.wait_with_output().unwrap()
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
