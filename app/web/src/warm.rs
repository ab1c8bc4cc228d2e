//! Runs the room code once while the app is idle, so a first join does not run it cold
//! (see `peerchat_chat::room::warm_up`).

use gloo_timers::callback::Timeout;

/// Rounds in all, and per task: a few milliseconds each, never one long task.
const ROUNDS: u32 = 40;
const ROUNDS_PER_TASK: u32 = 4;
/// Started this long after the node: past unlocking and the first screen.
const FIRST_AFTER_MS: u32 = 1_500;
const BETWEEN_MS: u32 = 50;

/// Schedules the warm-up.
pub fn warm_up_soon() {
    Timeout::new(FIRST_AFTER_MS, || run(ROUNDS)).forget();
}

fn run(left: u32) {
    if left == 0 {
        return;
    }
    let now = left.min(ROUNDS_PER_TASK);
    peerchat_chat::room::warm_up(now);
    Timeout::new(BETWEEN_MS, move || run(left - now)).forget();
}
