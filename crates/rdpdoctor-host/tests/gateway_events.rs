//! The RD Gateway's records as the `.evtx` reader renders them (the JSON of
//! the `evtx` crate, `UserData/EventInfo`), kept by the catalogue and keyed
//! by user, resource and error. No real gateway log is in the shared
//! fixtures; the rendered record is built here, never an `.evtx` binary.

use rdpdoctor_host::events::{catalogue, decode};

fn rendered(id: u16, info: &str) -> serde_json::Value {
    serde_json::from_str(&format!(
        r##"{{"Event":{{"#attributes":{{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"}},
        "System":{{"Provider":{{"#attributes":{{"Name":"Microsoft-Windows-TerminalServices-Gateway","Guid":"{{4D5AE6A1-C7C8-4E6D-B840-4D8080B42E1B}}"}}}},
        "EventID":{id},"Version":0,"Level":3,"Task":2,
        "TimeCreated":{{"#attributes":{{"SystemTime":"2024-05-02T10:00:00.1234567Z"}}}},
        "EventRecordID":42,
        "Channel":"Microsoft-Windows-TerminalServices-Gateway/Operational",
        "Computer":"RDG01.corp.example"}},
        "UserData":{{"EventInfo":{{"#attributes":{{"xmlns":"aag"}},{info}}}}}}}}}"##
    ))
    .unwrap()
}

#[test]
fn a_rap_refusal_is_kept_with_its_user_and_resource() {
    let v = rendered(
        301,
        r#""Username":"CORP\\bob","IpAddress":"203.0.113.7","AuthType":"NTLM","Resource":"rdp01.corp.example","ConnectionProtocol":"HTTP","ErrorCode":"23002""#,
    );
    let d = decode::decode(&v);
    let entry = catalogue::find(
        d.channel.as_deref().unwrap(),
        &d.provider,
        d.event_id.unwrap(),
    )
    .expect("the gateway's 301 is in the catalogue");
    let key = decode::key_of(&d.fields, entry.key);
    assert_eq!(key["Username"], "CORP\\bob");
    assert_eq!(key["Resource"], "rdp01.corp.example");
    assert_eq!(key["ErrorCode"], "23002");
    let data = decode::data_of(&d.fields, entry.data);
    assert_eq!(data["IpAddress"], "203.0.113.7");
    assert_eq!(data["AuthType"], "NTLM");
}

#[test]
fn every_gateway_event_of_the_issue_is_kept_and_no_other() {
    let channel = "Microsoft-Windows-TerminalServices-Gateway/Operational";
    let provider = "Microsoft-Windows-TerminalServices-Gateway";
    for id in [
        200, 201, 203, 204, 300, 301, 302, 303, 304, 305, 306, 307, 309, 312,
    ] {
        assert!(catalogue::find(channel, provider, id).is_some(), "{id}");
    }
    assert!(catalogue::find(channel, provider, 1149).is_none());
    // the same ids in another channel are not the gateway's
    assert!(catalogue::find("Application", provider, 301).is_none());
}
