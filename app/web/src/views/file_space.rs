//! In a room's or conversation's History tools: how much space its files take on this
//! device, and deleting them (the messages stay; each file's line says it was removed).
//! The figures and what is deleted are the node's (`Node::files_space`,
//! `Node::delete_files`).

use peerchat_node::saved::History;
use yew::prelude::*;

use super::confirm::ConfirmButton;
use super::files::{size_words, FilesContext};

/// Props of [`FilesSpaceTools`].
#[derive(Properties, PartialEq)]
pub struct FilesSpaceToolsProps {
    /// Whose files.
    pub history: History,
}

/// "Files: 2 · 1.1 MB" and Delete files.
#[function_component]
pub fn FilesSpaceTools(props: &FilesSpaceToolsProps) -> Html {
    let net = use_context::<FilesContext>().and_then(|c| c.net);
    // Read again after a delete (and with every transfer update, through the context).
    let deleted = use_state(|| 0u32);
    let Some(net) = net else {
        return html! {};
    };
    let history = props.history.clone();
    let space = net.act(|n, _| n.files_space(&history));
    let on_delete = {
        let deleted = deleted.clone();
        Callback::from(move |()| {
            net.act(|n, now| n.delete_files(&history, now));
            deleted.set(*deleted + 1);
        })
    };
    html! {
        <div class="files-space">
            <p class="hint" role="status">{
                if space.files == 0 {
                    "No files kept here.".to_owned()
                } else {
                    format!("Files: {} · {}", space.files, size_words(space.bytes))
                }
            }</p>
            if space.files > 0 {
                <ConfirmButton label="Delete files" confirm="Delete files"
                    question="Delete these files from this device? The messages stay; the files can no longer be saved here. A file another chat shows too stays for that chat."
                    on_confirm={on_delete} />
            }
        </div>
    }
}
