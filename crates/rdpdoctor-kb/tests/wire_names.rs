//! The knowledge base and the wire codecs name the same protocol codes the
//! same way. The wire crate's tables are the specification's names as the
//! probe decodes them from a server ([MS-RDPBCGR 2.2.5.1.1] ERRINFO,
//! [2.2.1.2.2] RDP_NEG_FAILURE); the KB's are what `explain` and the
//! diagnosis print. A code in one and not in the other, or named
//! differently, would make `rdpdoctor probe` and `rdpdoctor explain` call the
//! same server message by two names.
//!
//! The check lives here, with the wire crate as a dev-dependency, because
//! the KB is the data that is edited by hand (its integrity tests already
//! hold it to the other crates: finding ids to the evidence crate), while
//! the wire tables follow the specification and change rarely.

use std::collections::BTreeMap;

use rdpdoctor_kb::{Family, kb};
use rdpdoctor_wire::{rdp, x224};

/// Every code of `family` in the KB, by value.
fn kb_names(family: Family) -> BTreeMap<u32, String> {
    kb().codes()
        .iter()
        .filter(|c| c.family == family)
        .map(|c| (c.value, c.name.clone()))
        .collect()
}

/// Every code the wire table names, by value (the tables only name 16-bit values).
fn wire_names(name: fn(u32) -> Option<&'static str>) -> BTreeMap<u32, String> {
    (0..=0xFFFF)
        .filter_map(|v| name(v).map(|n| (v, n.to_owned())))
        .collect()
}

/// Both directions: the differences, one line each.
fn disagreements(kb: &BTreeMap<u32, String>, wire: &BTreeMap<u32, String>) -> Vec<String> {
    let mut out = Vec::new();
    for (value, name) in kb {
        match wire.get(value) {
            Some(w) if w == name => {}
            Some(w) => out.push(format!("0x{value:X}: KB {name}, wire {w}")),
            None => out.push(format!("0x{value:X}: KB {name}, not in the wire table")),
        }
    }
    for (value, name) in wire {
        if !kb.contains_key(value) {
            out.push(format!("0x{value:X}: wire {name}, not in the KB"));
        }
    }
    out
}

#[test]
fn errinfo_names_agree_with_the_wire_crate() {
    let kb = kb_names(Family::Errinfo);
    let wire = wire_names(rdp::error_info_name);
    assert!(
        wire.len() >= 121 && kb.len() >= 121,
        "{} {}",
        wire.len(),
        kb.len()
    );
    let diff = disagreements(&kb, &wire);
    assert!(
        diff.is_empty(),
        "ERRINFO names disagree:\n{}",
        diff.join("\n")
    );
}

#[test]
fn rdp_neg_failure_names_agree_with_the_wire_crate() {
    let kb = kb_names(Family::RdpNegFailure);
    let wire = wire_names(x224::failure_code_name);
    assert!(!wire.is_empty() && !kb.is_empty());
    let diff = disagreements(&kb, &wire);
    assert!(
        diff.is_empty(),
        "RDP_NEG_FAILURE names disagree:\n{}",
        diff.join("\n")
    );
}

#[test]
fn kerberos_names_agree_with_the_wire_crate() {
    // The KB explains the codes that matter for RDP; the wire table names
    // every RFC 4120 7.5.9 code, so only the KB's side must be in it.
    let kb = kb_names(Family::Kerberos);
    assert!(kb.len() >= 15, "{}", kb.len());
    for (value, name) in &kb {
        assert_eq!(
            rdpdoctor_wire::kerberos::error_name(*value),
            Some(name.as_str()),
            "Kerberos error {value}"
        );
    }
}
