//! `cargo run -p rdpdoctor-kb --example explain -- 0x904 0x7` prints the explanation as JSON.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match rdpdoctor_kb::explain(&args) {
        Ok(e) => println!(
            "{}",
            serde_json::to_string_pretty(&e).expect("explanation serializes")
        ),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    }
}
