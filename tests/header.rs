//! The committed C header is the one cbindgen generates from the current sources.

#[test]
fn committed_header_is_current() {
    let generated = include_str!(concat!(env!("OUT_DIR"), "/vwo_fme.h"));
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/vwo_fme.h")).unwrap();
    assert!(
        generated == committed,
        "include/vwo_fme.h is stale: run `make header` and commit it"
    );
}
