// The built UI (`ui/dist`) is embedded into this crate; rebuild when it changes, including
// when it appears for the first time after `make ui`.
fn main() {
    println!("cargo:rerun-if-changed=../../ui/dist");
}
