//! The web app's entry point, built by Trunk.
#![forbid(unsafe_code)]

fn main() {
    peerchat_web::run();
}
