//! Fails when include/scidb.h differs from what cbindgen generates from
//! the current source. Fix with `make header`.

#[test]
fn committed_header_is_current() {
    let generated = include_str!(concat!(env!("OUT_DIR"), "/scidb.h"));
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/include/scidb.h");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/scidb.h is stale: run `make header` and commit it"
    );
}
