//! Tests against the vectors written by sops 3.11.

use super::*;
use std::path::Path;

fn vectors() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors"))
}

fn store() -> YamlStore {
    YamlStore { indent: 4 }
}

fn show_diff(name: &str, got: &str, want: &str) {
    if got != want {
        for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
            if g != w {
                panic!(
                    "{name}: first difference at line {}:\n got: {g:?}\nwant: {w:?}",
                    i + 1
                );
            }
        }
        panic!(
            "{name}: lengths differ: got {} lines, want {} lines",
            got.lines().count(),
            want.lines().count()
        );
    }
}

#[test]
fn plain_vectors_print_as_sops_decrypt() {
    for name in ["app", "comments", "tricky", "multi"] {
        let plain = std::fs::read(vectors().join(format!("plain/{name}.yaml"))).unwrap();
        let want =
            std::fs::read_to_string(vectors().join(format!("expected/{name}.age1.yaml"))).unwrap();
        let loaded = store().load(&plain).unwrap();
        let got = String::from_utf8(store().emit(&loaded.docs, None).unwrap()).unwrap();
        show_diff(name, &got, &want);
    }
}

#[test]
fn sops_files_round_trip_byte_for_byte() {
    let mut n = 0;
    for entry in std::fs::read_dir(vectors().join("sops")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let loaded = store().load(&bytes).unwrap();
        assert!(loaded.metadata.is_some(), "{}", path.display());
        let got = store()
            .emit(&loaded.docs, loaded.metadata.as_ref())
            .unwrap();
        show_diff(
            &path.display().to_string(),
            &String::from_utf8(got).unwrap(),
            &String::from_utf8(bytes).unwrap(),
        );
        n += 1;
    }
    assert!(n >= 8, "only {n} sops vectors found");
}
