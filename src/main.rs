fn main() {
    // Readable panics in the console while developing; release builds abort without the hook.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(relive_web::App);
}
