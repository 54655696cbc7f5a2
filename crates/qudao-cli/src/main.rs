//! The `qudao` command line.

fn main() {
    println!("qudao {}", env!("CARGO_PKG_VERSION"));
}
