use super::*;

/// A site's file as MIT's documentation writes one: comments of both
/// kinds, tabs, a realm with three KDCs (one with a port), a nested block
/// inside a realm, quoted values, includes.
const SITE: &str = "\
# a comment
include /etc/krb5.conf.d/extra.conf
includedir /etc/krb5.conf.d/
[libdefaults]
\tdefault_realm = CONTOSO.COM
\tdns_lookup_kdc = false
[realms]
\tCONTOSO.COM = {
\t\tkdc = dc1.contoso.com
\t\tkdc = 10.0.0.2:750
\t\tkdc = \"[::1]:88\"
\t\tauth_to_local_names = {
\t\t\tkdc = not-a-kdc.example
\t\t}
\t\tadmin_server = dc1.contoso.com
\t}
\tLAB.TEST = {
\t\tadmin_server = only-admin.lab.test
\t}
; another comment
[domain_realm]
\t.contoso.com = CONTOSO.COM
\tcontoso.com = CONTOSO.COM
\t.corp.example = LAB.TEST
\tlegacy.example.org = OLD.EXAMPLE.ORG
";

#[test]
fn a_sites_file_gives_its_default_realm_kdcs_in_order_and_domains() {
    let c = parse(SITE.as_bytes()).unwrap();
    assert_eq!(c.default_realm.as_deref(), Some("CONTOSO.COM"));
    assert_eq!(
        c.kdcs("CONTOSO.COM"),
        ["dc1.contoso.com", "10.0.0.2:750", "[::1]:88"]
    );
    // Compared without case, as the probe upper-cases realms.
    assert_eq!(c.kdcs("contoso.com").len(), 3);
    // A realm with no kdc line has no KDC known.
    assert!(c.kdcs("LAB.TEST").is_empty());
    assert!(c.kdcs("OTHER.TEST").is_empty());
    assert_eq!(c.notes.len(), 2, "{:?}", c.notes);
    assert!(c.notes[0].starts_with("line 2: `include` not followed"));
    assert!(c.notes[1].contains("`includedir` not followed"));
}

#[test]
fn domains_map_to_realms_as_mit_walks_them() {
    let c = parse(SITE.as_bytes()).unwrap();
    assert_eq!(c.realm_of_domain("contoso.com"), Some("CONTOSO.COM"));
    assert_eq!(c.realm_of_domain("CONTOSO.COM."), Some("CONTOSO.COM"));
    assert_eq!(c.realm_of_domain("eu.contoso.com"), Some("CONTOSO.COM"));
    // `.corp.example` covers the domain itself and everything under it.
    assert_eq!(c.realm_of_domain("corp.example"), Some("LAB.TEST"));
    assert_eq!(c.realm_of_domain("a.b.corp.example"), Some("LAB.TEST"));
    // An exact name matches only itself.
    assert_eq!(
        c.realm_of_domain("legacy.example.org"),
        Some("OLD.EXAMPLE.ORG")
    );
    assert_eq!(c.realm_of_domain("new.example.org"), None);
    assert_eq!(c.realm_of_domain("fabrikam.com"), None);
}

#[test]
fn bad_lines_are_notes_and_what_follows_is_still_read() {
    let text = "[realms\nwhat is this\n}\n[realms]\nR.TEST = {\n kdc = k1\n}\n";
    let c = parse(text.as_bytes()).unwrap();
    assert_eq!(c.kdcs("R.TEST"), ["k1"]);
    assert_eq!(c.notes.len(), 3, "{:?}", c.notes);
}

#[test]
fn an_unclosed_block_is_noted() {
    let c = parse(b"[realms]\nR.TEST = {\n kdc = k1\n").unwrap();
    assert_eq!(c.kdcs("R.TEST"), ["k1"]);
    assert!(c.notes.iter().any(|n| n.contains("ends inside")));
}

#[test]
fn too_big_or_not_text_is_refused() {
    let big = vec![b'#'; MAX_FILE_BYTES + 1];
    assert_eq!(parse(&big), Err(Krb5ConfError::TooBig(MAX_FILE_BYTES + 1)));
    assert_eq!(parse(&[0xff, 0xfe, 0x00]), Err(Krb5ConfError::NotText));
}

#[test]
fn the_caps_hold() {
    // More lines than read: the KDCs after the cap are not kept.
    let mut text = String::from("[realms]\nR.TEST = {\n");
    for i in 0..MAX_LINES {
        text.push_str(&format!(" kdc = k{i}\n"));
    }
    let c = parse(text.as_bytes()).unwrap();
    assert!(c.kdcs("R.TEST").len() <= MAX_ENTRIES);
    assert!(c.notes.iter().any(|n| n.contains("not read")));
    // Nesting deeper than the cap stops the reading.
    let deep = "a = {\n".repeat(100);
    let c = parse(deep.as_bytes()).unwrap();
    assert!(c.notes.iter().any(|n| n.contains("nested too deep")));
    // Many bad lines: the notes are capped.
    let c = parse("junk\n".repeat(1000).as_bytes()).unwrap();
    assert_eq!(c.notes.len(), MAX_NOTES);
}

#[test]
fn every_truncation_of_a_file_parses_without_panic() {
    let bytes = SITE.as_bytes();
    for n in 0..bytes.len() {
        if let Ok(c) = parse(&bytes[..n]) {
            let _ = c.kdcs("CONTOSO.COM");
            let _ = c.realm_of_domain("a.contoso.com");
        }
    }
}
