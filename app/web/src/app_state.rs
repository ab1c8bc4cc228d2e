//! The core's states as Yew reducers: each wrapper only hands the action to the core's
//! plain reducer, so every rule stays where it is tested natively.

use std::rc::Rc;

use peerchat_chat::gate::{Gate, GateAction};
use peerchat_chat::state::{Action, ChatState};
use yew::Reducible;

use crate::storage::VaultHandle;

/// [`ChatState`] as a Yew reducer.
#[derive(Default, PartialEq, Clone)]
pub struct AppState(pub ChatState);

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        // The screen and its callbacks still hold the state, so this copies it: a copy
        // per room and conversation, whose lines are shared (`Lines`), not copied.
        let mut state = Rc::unwrap_or_clone(self);
        state.0.reduce(action);
        Rc::new(state)
    }
}

/// The unlock [`Gate`] (over the browser's vault) as a Yew reducer.
#[derive(Default, PartialEq, Clone)]
pub struct GateState(pub Gate<VaultHandle>);

impl Reducible for GateState {
    type Action = GateAction<VaultHandle>;

    fn reduce(self: Rc<Self>, action: Self::Action) -> Rc<Self> {
        let mut state = Rc::unwrap_or_clone(self);
        state.0.reduce(action);
        Rc::new(state)
    }
}
