use leptos::html::Div;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::prelude::*;
use web_sys::{IntersectionObserver, IntersectionObserverEntry, IntersectionObserverInit};

/// An invisible marker that calls `on_visible` whenever it scrolls near the viewport
/// (IntersectionObserver, 600 px ahead), to load the next page before it is needed.
#[component]
pub fn Sentinel(#[prop(into)] on_visible: Callback<()>) -> impl IntoView {
    let node = NodeRef::<Div>::new();
    Effect::new(move |_| {
        let Some(el) = node.get() else { return };
        let callback = Closure::<dyn Fn(js_sys::Array)>::new(move |entries: js_sys::Array| {
            let visible = entries.iter().any(|e| e.unchecked_into::<IntersectionObserverEntry>().is_intersecting());
            if visible {
                on_visible.run(());
            }
        });
        let init = IntersectionObserverInit::new();
        init.set_root_margin("600px 0px");
        let Ok(observer) = IntersectionObserver::new_with_options(callback.as_ref().unchecked_ref(), &init) else {
            return;
        };
        observer.observe(&el);
        let keep = SendWrapper::new((observer, callback));
        on_cleanup(move || keep.0.disconnect());
    });
    view! { <div class="sentinel" node_ref=node aria-hidden="true"></div> }
}
