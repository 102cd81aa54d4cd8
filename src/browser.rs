//! Thin wrappers over the browser APIs the app uses, so components read plainly.
//! Everything fails soft: storage may be off (private mode), clipboard may be refused.

use wasm_bindgen::JsCast;

pub fn window() -> web_sys::Window {
    web_sys::window().expect("a window")
}

/// Unix seconds now.
pub fn now() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

/// The viewer's time zone as minutes east of UTC (UTC+8 → 480).
pub fn utc_offset_minutes() -> i32 {
    -(js_sys::Date::new_0().get_timezone_offset() as i32)
}

pub fn storage_get(key: &str) -> Option<String> {
    window().local_storage().ok().flatten()?.get_item(key).ok().flatten()
}

pub fn storage_set(key: &str, value: &str) {
    if let Some(s) = window().local_storage().ok().flatten() {
        let _ = s.set_item(key, value);
    }
}

pub fn storage_remove(key: &str) {
    if let Some(s) = window().local_storage().ok().flatten() {
        let _ = s.remove_item(key);
    }
}

/// `navigator.languages`, most preferred first.
pub fn preferred_languages() -> Vec<String> {
    window().navigator().languages().iter().filter_map(|v| v.as_string()).collect()
}

/// `https://host:port`, for links people copy.
pub fn origin() -> String {
    window().location().origin().unwrap_or_default()
}

pub fn set_document_title(title: &str) {
    if let Some(d) = window().document() {
        d.set_title(title);
    }
}

pub fn set_html_lang(tag: &str) {
    if let Some(el) = window().document().and_then(|d| d.document_element()) {
        let _ = el.set_attribute("lang", tag);
    }
}

/// Copies text to the clipboard; false if the browser refused.
pub async fn copy_text(text: &str) -> bool {
    let promise = window().navigator().clipboard().write_text(text);
    wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
}

/// Calls a method by name when the browser has it (for APIs web-sys gates, like PiP).
pub fn call_method(target: &wasm_bindgen::JsValue, name: &str) -> bool {
    js_sys::Reflect::get(target, &name.into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .is_some_and(|f| f.call0(target).is_ok())
}

/// Reads a boolean property by name (`document.pictureInPictureEnabled`, ...).
pub fn has_true(target: &wasm_bindgen::JsValue, name: &str) -> bool {
    js_sys::Reflect::get(target, &name.into()).ok().and_then(|v| v.as_bool()).unwrap_or(false)
}

/// An event listener on an element (or any target), removed when this is dropped: keep
/// it in a `StoredValue::new_local` of the component that needs it.
pub struct Listener {
    target: web_sys::EventTarget,
    name: &'static str,
    f: wasm_bindgen::closure::Closure<dyn FnMut(web_sys::Event)>,
}

pub fn listen(target: &web_sys::EventTarget, name: &'static str, f: impl FnMut(web_sys::Event) + 'static) -> Listener {
    let f = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::Event)>::new(f);
    let _ = target.add_event_listener_with_callback(name, f.as_ref().unchecked_ref());
    Listener { target: target.clone(), name, f }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.target.remove_event_listener_with_callback(self.name, self.f.as_ref().unchecked_ref());
    }
}

/// The window that frames this page, if it is framed.
pub fn parent_window() -> Option<web_sys::Window> {
    let w = window();
    let parent = w.parent().ok().flatten()?;
    (!js_sys::Object::is(&parent, &w)).then_some(parent)
}
