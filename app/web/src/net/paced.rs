//! The node's UI actions on their way to the screen, paced by the core's [`Pacer`]: at
//! most one render a frame goes at once, the rest waits for the next animation frame.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::time::Duration;

use peerchat_chat::state::{Action, Pacer};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::Callback;

use crate::platform::monotonic_now;

/// Hands UI actions to the screen as the [`Pacer`] decides.
pub(super) struct Paced {
    dispatch: Callback<Action>,
    pacer: RefCell<Pacer>,
    /// A frame is asked for and has not come yet.
    asked: Cell<bool>,
    /// Called by the browser before it paints the next frame; made once and kept, so it
    /// is never dropped while it runs.
    on_frame: Closure<dyn FnMut()>,
}

impl Paced {
    /// Paces actions for `dispatch`.
    pub(super) fn new(dispatch: Callback<Action>) -> Rc<Self> {
        Rc::new_cyclic(|weak: &Weak<Self>| {
            let weak = weak.clone();
            Self {
                dispatch,
                pacer: RefCell::default(),
                asked: Cell::new(false),
                on_frame: Closure::new(move || {
                    if let Some(paced) = weak.upgrade() {
                        paced.asked.set(false);
                        let now = paced.pacer.borrow_mut().frame(monotonic_now());
                        paced.emit(now);
                    }
                }),
            }
        })
    }

    /// Shows `actions` now or with the next frame; nothing before `hold` (see
    /// [`Pacer::hold`]), and a batch at most `every` (see [`Pacer::throttle`]).
    pub(super) fn show(
        &self,
        actions: Vec<Action>,
        hold: Option<Duration>,
        every: Option<Duration>,
    ) {
        // A page in the background gets no frames.
        let frames = crate::platform::is_visible();
        let now = {
            let mut pacer = self.pacer.borrow_mut();
            pacer.hold(hold);
            pacer.throttle(every);
            pacer.arrive(actions, frames, monotonic_now())
        };
        self.emit(now);
    }

    fn emit(&self, mut actions: Vec<Action>) {
        if self.pacer.borrow().wants_frame() && !self.asked.get() {
            let asked = web_sys::window().is_some_and(|w| {
                w.request_animation_frame(self.on_frame.as_ref().unchecked_ref())
                    .is_ok()
            });
            self.asked.set(asked);
            if !asked {
                // No frame to wait for: nothing waits (not even for a handshake).
                actions.extend(self.pacer.borrow_mut().frame(Duration::MAX));
            }
        }
        // Emitted with nothing borrowed: the reducer may call back into the node.
        for action in actions {
            self.dispatch.emit(action);
        }
    }
}
