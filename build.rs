//! Generates the parser from `grammar/tensen.lalrpop`.

fn main() {
    println!("cargo:rerun-if-changed=grammar/tensen.lalrpop");
    let out_dir = std::env::var("OUT_DIR").unwrap_or_else(|_| ".".to_string());
    if let Err(err) = lalrpop::Configuration::new()
        .set_in_dir("grammar")
        .set_out_dir(out_dir)
        .process()
    {
        eprintln!("lalrpop failed: {err}");
        std::process::exit(1);
    }
}
