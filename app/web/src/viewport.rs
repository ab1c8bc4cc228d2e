//! The app's height follows the visual viewport: where the on-screen keyboard shrinks only
//! the visual viewport (Safari on iOS), the composer would otherwise sit under it. Other
//! browsers resize the layout itself (`interactive-widget=resizes-content` in index.html).

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// Sets `--app-height` on the document element to the visual viewport's height.
fn update() {
    let Some(w) = web_sys::window() else { return };
    let (Some(vv), Some(root)) = (
        w.visual_viewport(),
        w.document()
            .and_then(|d| d.document_element())
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()),
    ) else {
        return;
    };
    // A style set from script is not an inline style attribute: the page's CSP allows it.
    let _ = root
        .style()
        .set_property("--app-height", &format!("{}px", vv.height()));
}

/// Listens for as long as it is kept.
pub struct ViewportListener {
    _closure: Closure<dyn FnMut()>,
}

impl Drop for ViewportListener {
    fn drop(&mut self) {
        if let Some(vv) = web_sys::window().and_then(|w| w.visual_viewport()) {
            vv.set_onresize(None);
        }
    }
}

/// Follows the visual viewport from now on; `None` where the browser has none.
pub fn follow_visual_viewport() -> Option<ViewportListener> {
    let vv = web_sys::window()?.visual_viewport()?;
    update();
    let listener = Closure::<dyn FnMut()>::new(update);
    vv.set_onresize(Some(listener.as_ref().unchecked_ref()));
    Some(ViewportListener { _closure: listener })
}
