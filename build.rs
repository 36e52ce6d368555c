//! Links the `tix` binary as a position-dependent executable on Linux.
//!
//! A position-independent one makes the dynamic loader patch about 40,000 pointers in
//! 1.2 MB of tables at every start (clap's and chrono-tz's among them), touching some
//! 300 pages before `main`: a third of a `tix --version`. Gate staff start one process
//! per scan, so tix is linked without that: the library and the tests are unchanged.
//! Elsewhere the platform's default stands.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
