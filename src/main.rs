//! The `tensen` command: a thin shell over the library's `cli` module.

fn main() -> std::process::ExitCode {
    tensen::cli::main()
}
