//! The app once unlocked: owns the chat state, starts the network side, and joins the
//! room of an invite link opened in the address bar.

use peerchat_chat::room::Invite;
use peerchat_chat::state::{Action, ChatState, Screen};
use peerchat_ids::RoomId;
use peerchat_peerjs::PeerId;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::app_state::AppState;
use crate::device_tab::{DeviceTab, ElsewhereNotice, TabState};
use crate::identity;
use crate::navigation::{self, use_back_navigation, use_screen_focus};
use crate::net::{FileTo, Net};
use crate::platform;
use crate::storage::VaultHandle;
use crate::storage_actions::use_storage_actions;
use crate::views::composer::forget_typed;
use crate::views::conversation::ConversationView;
use crate::views::details::DetailsContext;
use crate::views::files::FilesContext;
use crate::views::history::ImportForm;
use crate::views::identity::{ConnectForm, IdCard};
use crate::views::nav::ChatList;
use crate::views::request::RequestChoice;
use crate::views::room::RoomScreen;
use crate::views::room_forms::RoomForms;
use crate::views::settings::SettingsScreen;
use crate::views::status::BrokerBanner;
use crate::views::trust::{MemberTrust, TrustChoice};

/// The draft of `chat` read back from the device, if any.
fn draft_of(state: &ChatState, chat: Screen) -> AttrValue {
    state
        .drafts
        .get(&chat)
        .map_or_else(AttrValue::default, |d| AttrValue::from(d.clone()))
}

/// Joins the room of an invite in the address bar, or says why the link is no good.
fn follow_invite(node: &Net, dispatcher: &UseReducerDispatcher<AppState>) {
    let (Some(window), Some(hash)) = (web_sys::window(), platform::fragment()) else {
        return;
    };
    // The secret leaves the address at once, so it does not linger on screen or in a
    // screenshot; a valid invite's room opens in the entry the link made.
    let invite = Invite::parse_fragment(&hash);
    if invite.is_err() || !navigation::open_chat_in_place(&window) {
        platform::clear_fragment(&window);
    }
    match invite {
        Ok(invite) => {
            dispatcher.dispatch(Action::InviteFollowed);
            node.act(|n, now| n.join_room(invite, now));
        }
        Err(e) => dispatcher.dispatch(Action::InviteRefused(e)),
    }
}

/// A control's action, run on the node once it has started. The same callback for as
/// long as the node is the same, so a screen given it is not drawn again for its sake
/// (a message would otherwise draw every control of the screen again).
#[hook]
fn use_node_action<T: 'static>(node: &UseStateHandle<Option<Net>>, f: fn(&Net, T)) -> Callback<T> {
    use_callback((**node).clone(), move |arg: T, node: &Option<Net>| {
        if let Some(n) = node {
            f(n, arg);
        }
    })
}

/// What a control that needs the node says while it starts.
const STARTING: &str = "Still starting up; try again in a moment.";

/// [`use_node_action`] for an action that can fail: its error, or [`STARTING`], in the
/// user's words.
#[hook]
fn use_node_try<T: 'static, E: ToString + 'static>(
    node: &UseStateHandle<Option<Net>>,
    f: fn(&Net, T) -> Result<(), E>,
) -> Callback<T, Result<(), String>> {
    use_callback(
        (**node).clone(),
        move |arg: T, node: &Option<Net>| match node {
            Some(n) => f(n, arg).map_err(|e| e.to_string()),
            None => Err(STARTING.to_owned()),
        },
    )
}

/// Sends each file attached to where `to` says; the callback given hears why one could
/// not go.
#[hook]
fn use_attach_to<T: 'static>(
    node: &UseStateHandle<Option<Net>>,
    to: fn(T) -> FileTo,
) -> Callback<(T, web_sys::File, Callback<String>)> {
    use_callback(
        (**node).clone(),
        move |(target, file, failed): (T, web_sys::File, Callback<String>), node| {
            let Some(n) = node.clone() else {
                return failed.emit(STARTING.to_owned());
            };
            let target = to(target);
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(why) = n.send_file_to(target, file).await {
                    failed.emit(why);
                }
            });
        },
    )
}

/// Props of [`Home`].
#[derive(Properties, PartialEq)]
pub struct HomeProps {
    /// The user's display name.
    pub name: String,
    /// The unlocked vault.
    pub vault: VaultHandle,
}

/// Everything after unlock.
#[function_component]
pub fn Home(props: &HomeProps) -> Html {
    let state = use_reducer(|| {
        let mut s = AppState::default();
        s.0.reduce(Action::NameChosen(props.name.clone()));
        s.0.reduce(Action::Online(platform::is_online()));
        s
    });
    let node = use_state(|| None::<Net>);

    {
        // Unread messages show in the tab title (and the task switcher) and on the icon.
        let unread = state.0.total_unread();
        use_effect_with(unread, move |&n| {
            platform::set_app_badge(n);
            if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
                doc.set_title(&if n == 0 {
                    "PeerChat".to_owned()
                } else {
                    format!("({n}) PeerChat")
                });
            }
        });
    }
    {
        // Tapping a notification opens its room or conversation.
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            crate::notify::on_open_room(move |tag| {
                // The tap carries the tag our own notification was given.
                match Screen::from_tag(&tag) {
                    Some(Screen::Room(room)) => dispatcher.dispatch(Action::SelectRoom(room)),
                    Some(Screen::Conversation(peer)) => dispatcher.dispatch(Action::Select(peer)),
                    None => {}
                }
            });
        });
    }
    {
        // Whether the page is on screen decides unread counts (reducer) and
        // notifications (node).
        let dispatcher = state.dispatcher();
        use_effect_with((*node).clone(), move |node| {
            let node = node.clone();
            let tell = move |visible: bool| {
                dispatcher.dispatch(Action::Visible(visible));
                if let Some(n) = &node {
                    n.act(|n, _| n.set_visible(visible));
                }
            };
            tell(platform::is_visible());
            let listener = platform::on_visibility_change(tell);
            move || drop(listener)
        });
    }
    {
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            let listener = platform::on_connectivity_change(move |now| {
                dispatcher.dispatch(Action::Online(now))
            });
            move || drop(listener)
        });
    }

    // One tab at a time uses the device (see `device_tab`).
    let tab_state = use_state(|| TabState::Starting);
    let device_tab = DeviceTab {
        vault: props.vault.0.clone(),
        name: props.name.clone(),
        dispatcher: state.dispatcher(),
        node: node.clone(),
        state: tab_state.clone(),
        held: use_mut_ref(|| None),
    };
    {
        let device_tab = device_tab.clone();
        use_effect_with((), move |_| spawn_local(device_tab.start(false)));
    }
    let on_take = Callback::from(move |()| {
        device_tab.state.set(TabState::Starting);
        spawn_local(device_tab.clone().start(true));
    });
    {
        // Invite links: the one the app was opened with, and any opened while it runs.
        let dispatcher = state.dispatcher();
        use_effect_with((*node).clone(), move |node| {
            let listener = node.clone().map(|node| {
                follow_invite(&node, &dispatcher);
                let on_hash =
                    Closure::<dyn FnMut()>::new(move || follow_invite(&node, &dispatcher));
                if let Some(w) = web_sys::window() {
                    w.set_onhashchange(Some(on_hash.as_ref().unchecked_ref()));
                }
                on_hash
            });
            move || {
                if let Some(w) = web_sys::window() {
                    w.set_onhashchange(None);
                }
                drop(listener);
            }
        });
    }

    let on_create = use_node_action(&node, |n, name: String| {
        n.act(|n, now| n.create_room(&name, now))
    });
    let on_leave = use_node_action(&node, |n, room: RoomId| {
        forget_typed(Some(&Screen::Room(room.clone())));
        n.act(|n, now| n.leave_room(&room, now))
    });
    let on_typing = use_node_action(&node, |n, room: RoomId| {
        n.act(|n, now| n.typing(&room, now))
    });
    let on_connect = use_node_action(&node, |n, peer: PeerId| {
        n.act(|n, now| n.connect(peer, now))
    });
    let on_draft = use_node_action(&node, |n, (chat, text): (Screen, String)| {
        n.act(|n, now| n.set_draft(chat, &text, now))
    });
    let on_join = use_node_action(&node, |n, invite: Invite| {
        n.act(|n, now| n.join_room(invite, now))
    });
    let on_retry = use_node_action(&node, |n, ()| n.act(|n, now| n.retry(now)));
    let on_send = use_node_try(&node, |n, (peer, text): (PeerId, String)| {
        n.act(|n, now| n.send_text(&peer, &text, now))
    });
    let on_attach = use_attach_to(&node, FileTo::Peer);
    let on_room_attach = use_attach_to(&node, FileTo::Room);
    let on_room_send = use_node_try(
        &node,
        |n, (room, to, text): (RoomId, Option<PeerId>, String)| {
            n.act(|n, now| n.send_room_text(&room, to.as_ref(), &text, now))
        },
    );
    let on_trust = use_node_action(&node, |n, (peer, choice): (PeerId, TrustChoice)| {
        n.act(|n, now| match choice {
            TrustChoice::Accept => n.accept_key(&peer, now),
            TrustChoice::Refuse => n.reject_key(&peer, now),
            TrustChoice::Verified(v) => n.set_verified(&peer, v),
        })
    });
    // Asked once per node: a command on the node runs its outputs, not for every render.
    let my_key = *use_memo((*node).clone(), |node| {
        node.as_ref().map(|n| n.act(|n, _| n.key()))
    });
    let on_mute = use_node_action(&node, |n, (room, muted): (RoomId, bool)| {
        n.act(|n, _| n.set_room_muted(&room, muted))
    });
    let on_verify = use_node_action(&node, |n, (room, peer, v): (RoomId, PeerId, bool)| {
        n.act(|n, _| n.set_member_verified(&room, &peer, v))
    });
    let on_rename = {
        let (node, vault) = (node.clone(), props.vault.0.clone());
        Callback::from(move |name: String| match node.as_ref() {
            Some(n) => {
                let name = n
                    .act(|n, now| n.rename(&name, now))
                    .map_err(|e| e.to_string())?;
                // Kept sealed and readable (for the greeting), as at first run.
                let vault = vault.clone();
                spawn_local(async move {
                    identity::remember_name(&vault, name).await;
                });
                Ok(())
            }
            None => Err(STARTING.to_owned()),
        })
    };
    let on_conversation_mute = use_node_action(&node, |n, (peer, muted): (PeerId, bool)| {
        n.act(|n, _| n.set_conversation_muted(&peer, muted))
    });
    let on_request = use_node_action(&node, |n, (peer, choice): (PeerId, RequestChoice)| {
        n.act(|n, now| match choice {
            RequestChoice::Accept => n.accept_request(&peer, now),
            RequestChoice::Block => {
                forget_typed(Some(&Screen::Conversation(peer.clone())));
                n.block(&peer, now)
            }
            RequestChoice::Unblock => n.unblock(&peer),
        })
    });
    let on_file_quota =
        use_node_action(&node, |n, bytes: u64| n.act(|n, _| n.set_file_quota(bytes)));
    let on_notify_text = use_node_action(&node, |n, show: bool| {
        n.act(|n, _| n.set_notification_text(show))
    });
    let arm_focus = use_screen_focus(state.0.active.clone());
    let on_select = {
        let (dispatcher, arm_focus) = (state.dispatcher(), arm_focus.clone());
        Callback::from(move |screen: Screen| {
            arm_focus.emit(());
            dispatcher.dispatch(match screen {
                Screen::Conversation(peer) => Action::Select(peer),
                Screen::Room(room) => Action::SelectRoom(room),
            })
        })
    };
    // Settings is a screen like an open chat: it takes the chat's place (and a phone's
    // whole screen), and back returns to the list. Opening a chat closes it.
    let settings = use_state_eq(|| false);
    {
        let settings = settings.clone();
        use_effect_with(state.0.active.is_some(), move |&chat| {
            if chat {
                settings.set(false);
            }
        });
    }
    // Whoever starts on New chat keeps it: chats read back later do not fold it away.
    let on_starting = {
        let (dispatcher, chosen) = (state.dispatcher(), state.0.chosen);
        Callback::from(move |_: FocusEvent| {
            if !chosen {
                dispatcher.dispatch(Action::Starting);
            }
        })
    };
    let on_back = {
        let (dispatcher, settings) = (state.dispatcher(), settings.clone());
        use_back_navigation(
            state.0.active.is_some() || *settings,
            Callback::from(move |()| {
                arm_focus.emit(());
                settings.set(false);
                dispatcher.dispatch(Action::CloseChat);
            }),
        )
    };
    let on_settings = {
        let (dispatcher, settings) = (state.dispatcher(), settings.clone());
        Callback::from(move |_: MouseEvent| {
            dispatcher.dispatch(Action::CloseChat);
            settings.set(true);
        })
    };
    use_effect_with((), |_| {
        let listener = crate::viewport::follow_visual_viewport();
        move || drop(listener)
    });

    // Connection details panels say which of them are open; the node measures those.
    let on_watch = use_callback((*node).clone(), |(subject, open), node| {
        if let Some(n) = node {
            n.act(|n, _| n.watch_details(subject, open));
        }
    });
    let details = DetailsContext::new(&state.0, on_watch);
    let storage = use_storage_actions(&state, &node, &props.vault);
    let share_bar = crate::share_actions::use_share_bar(&state, &node);
    let s = &state.0;
    // The name chosen in this visit, else the one the app was unlocked with.
    let name = s.my_name.as_ref().unwrap_or(&props.name);
    // On a phone one pane shows: the list, or the open chat; from 900 px both.
    let view = if s.active.is_some() || *settings {
        "chat"
    } else {
        "list"
    };
    let chat = if *settings {
        html! {
            <SettingsScreen name={name.clone()} {on_rename} {on_notify_text} {on_file_quota}
                my_id={s.my_id.clone()} broker={s.broker.clone()} broker_host={s.broker_host.clone()}
                on_retry={on_retry.clone()} ice_servers={s.ice_servers.clone()}
                on_export_all={storage.on_export_all.clone()} on_erase={storage.on_erase.clone()}
                on_back={on_back.clone()} blocked={s.blocked.clone()} on_unblock={on_request.clone()} />
        }
    } else if let Some(c) = s.active_conversation() {
        html! {
            <ConversationView conversation={c.clone()} {on_send} on_connect={on_connect.clone()}
                on_older={storage.on_conversation_older.clone()}
                trust={s.trust.get(&c.peer).cloned().unwrap_or_default()} {my_key} {on_trust}
                on_back={on_back.clone()} history={storage.conversation_history.clone()}
                on_request={on_request.clone()} on_mute={on_conversation_mute} {on_attach}
                draft={draft_of(s, Screen::Conversation(c.peer.clone()))} on_draft={on_draft.clone()} />
        }
    } else if let Some(r) = s.active_room() {
        html! {
            <RoomScreen room={r.clone()} on_send={on_room_send} {on_leave}
                history={storage.room_history.clone()} {on_typing} {on_mute}
                on_attach={on_room_attach}
                members={MemberTrust {
                    keys: s.member_keys.clone(),
                    verified: s.verified_keys.clone(),
                    my_key,
                    on_verify,
                }}
                on_back={on_back.clone()}
                draft={draft_of(s, Screen::Room(r.room_id.clone()))} {on_draft} />
        }
    } else {
        html! { <p class="no-chat hint">{ "Choose a chat, or start one with New chat." }</p> }
    };
    let page = html! {
        <div class="shell" data-view={view}>
            <div class="banners">
                if let Some(err) = s.config_error.as_ref() {
                    <p class="banner error" role="alert">{ err.clone() }</p>
                }
                if let Some(err) = s.invite_error.as_ref() {
                    <p class="banner error" role="alert">{ err.clone() }</p>
                }
                if let Some(err) = s.storage_error.as_ref() {
                    <p class="banner error" role="alert">{ err.clone() }</p>
                }
                if let Some(note) = storage.note.as_ref() {
                    <p class="banner" role="status">{ note.clone() }</p>
                }
                { share_bar }
            </div>
            <div class="panes">
                <section class="list-pane" aria-label="Chats">
                    <header class="list-bar">
                        <h1 tabindex="-1">{ "PeerChat" }</h1>
                        <p class="greeting">{ format!("Hi, {name}!") }</p>
                        <button type="button" class="icon settings-button" aria-label="Settings"
                            aria-current={settings.then_some("page")} onclick={on_settings}>
                            <span aria-hidden="true">{ "⚙" }</span>
                        </button>
                    </header>
                    if matches!(*tab_state, TabState::Elsewhere | TabState::Moved) {
                        <ElsewhereNotice state={*tab_state} {on_take} />
                    }
                    if s.offline() {
                        <p class="banner warn" role="status">
                            { "You are offline. Your history is here; PeerChat reconnects by itself when the network is back." }
                        </p>
                    }
                    if let Some(host) = s.broker_host.as_ref() {
                        <BrokerBanner status={s.broker.clone()} host={host.clone()} on_retry={on_retry.clone()} />
                    }
                    if let Some(id) = &s.my_id {
                        // Unfolded while no chat is open, so a first-time user sees how to start.
                        <details class="start" open={s.active.is_none()} onfocusin={on_starting}>
                            <summary><span aria-hidden="true">{ "+ " }</span>{ "New chat" }</summary>
                            <IdCard id={id.clone()} />
                            <ConnectForm my_id={id.clone()} on_connect={on_connect.clone()} />
                            <RoomForms {on_create} {on_join} />
                            <ImportForm on_import={storage.on_import.clone()} />
                        </details>
                    }
                    <ChatList entries={s.chat_list()} {on_select} />
                </section>
                <main class="chat-pane">{ chat }</main>
            </div>
        </div>
    };
    // A new context only when the transfers change (they are shared until then): every
    // file card and the files' space reads it, and would be drawn again for each
    // message otherwise.
    let files = FilesContext {
        transfers: s.transfers.clone(),
        net: (*node).clone(),
    };
    html! {
        <ContextProvider<DetailsContext> context={details}>
            <ContextProvider<FilesContext> context={files}>{ page }</ContextProvider<FilesContext>>
        </ContextProvider<DetailsContext>>
    }
}
