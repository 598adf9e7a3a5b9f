//! Every finding's facts are documented: docs/json-schema.md's table "Keys of
//! `evidence`, per id" has a row for every finding id, and every key a facts
//! type can carry is named in a row of one of its findings.

use rdpdoctor_diagnose::FindingId;
use rdpdoctor_diagnose::facts::all_types;

/// The rows of the table of `evidence` keys: (ids cell, keys cell).
fn rows() -> Vec<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/json-schema.md");
    let doc = std::fs::read_to_string(path).expect("docs/json-schema.md");
    let start = doc
        .find("| finding id | `evidence` keys |")
        .expect("the table of evidence keys");
    doc[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').splitn(2, '|').collect();
            match cells.as_slice() {
                [ids, keys] => Some((ids.to_string(), keys.to_string())),
                _ => None,
            }
        })
        .collect()
}

fn names(cell: &str, name: &str) -> bool {
    cell.contains(&format!("`{name}`"))
}

#[test]
fn every_finding_has_a_row_of_keys() {
    let rows = rows();
    let missing: Vec<&str> = FindingId::ALL
        .iter()
        .map(|id| id.name())
        .filter(|id| !rows.iter().any(|(ids, _)| names(ids, id)))
        .collect();
    assert!(
        missing.is_empty(),
        "no row of evidence keys in docs/json-schema.md for {missing:?}"
    );
}

#[test]
fn every_key_of_every_facts_type_is_documented_for_its_findings() {
    let rows = rows();
    let mut undocumented = Vec::new();
    for t in all_types() {
        let own: Vec<&(String, String)> = rows
            .iter()
            .filter(|(ids, _)| t.ids.iter().any(|id| names(ids, id.name())))
            .collect();
        for key in (t.keys)() {
            if !own.iter().any(|(_, keys)| names(keys, key)) {
                undocumented.push(format!("{}.{key}", t.name));
            }
        }
    }
    assert!(
        undocumented.is_empty(),
        "facts not named in docs/json-schema.md's rows of their findings: {undocumented:?}"
    );
}
