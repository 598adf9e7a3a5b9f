//! `rdpdoctor explain`: what a user types, and what they should get back.
//! The knowledge base reads the codes; the causes are the judgement
//! engine's ranking over the codes alone, as `explain` shows them.

use rdpdoctor_diagnose::{Context, Evidence, RankedCause, judge};
use rdpdoctor_kb::{ExplainError, Explanation, Family, explain};

mod common;

/// What `explain` shows: the codes read, and the ranked causes.
struct Ex {
    read: Explanation,
    causes: Vec<RankedCause>,
}

impl std::ops::Deref for Ex {
    type Target = Explanation;
    fn deref(&self) -> &Explanation {
        &self.read
    }
}

fn ex(args: &[&str]) -> Ex {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let read = explain(&args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    let input = args.join(" ");
    let causes = judge(&Evidence::codes(&input, &read), &Context::default())
        .diagnosis
        .causes;
    Ex { read, causes }
}

fn top(e: &Ex) -> &str {
    e.causes.first().map(|c| c.id.as_str()).unwrap_or("<none>")
}

fn assert_pair_904_7(e: &Ex) {
    assert_eq!(e.codes[0].family, Family::MstscDisconnect);
    assert_eq!(e.codes[0].name, "disconnectReasonAtClientWinsockFDCLOSE");
    assert!(
        e.codes[0].meaning.to_lowercase().contains("socket closed"),
        "{}",
        e.codes[0].meaning
    );
    assert_eq!(e.codes[1].family, Family::MstscExtended);
    assert_eq!(e.codes[1].name, "exDiscReasonServerDeniedConnection");
    assert!(
        e.codes[1]
            .same_as
            .iter()
            .any(|s| s.contains("ERRINFO_SERVER_DENIED_CONNECTION"))
    );
    // As the field ranks this pair (kb/priors.toml): the expired certificate,
    // then the broken private key (MachineKeys), then the network's firewall
    // or an antivirus; a user without the Remote Desktop right has its own
    // extended code (0x9) and comes well below.
    let ids: Vec<&str> = e.causes.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids[..2],
        ["rdp-cert-expired", "rdp-cert-private-key-broken"],
        "causes: {:?}",
        e.causes
            .iter()
            .map(|c| (&c.id, c.share))
            .collect::<Vec<_>>()
    );
    let next = &ids[2..4];
    assert!(
        next.contains(&"firewall-or-public-network-profile")
            || next.contains(&"endpoint-protection-interference"),
        "runners-up: {next:?}"
    );
    let rank = |id: &str| ids.iter().position(|c| *c == id).unwrap_or(usize::MAX);
    assert!(rank("user-not-allowed") > 4, "{ids:?}");
    // The ranking names its source, and what tells the causes apart.
    assert!(
        e.pointers
            .iter()
            .any(|p| p.source.is_some() && !p.how_to_tell.is_empty())
    );
}

#[test]
fn mstsc_pair_in_hex() {
    assert_pair_904_7(&ex(&["0x904", "0x7"]));
}

#[test]
fn mstsc_pair_in_decimal() {
    assert_pair_904_7(&ex(&["2308", "7"]));
}

#[test]
fn mstsc_pair_as_one_quoted_argument() {
    assert_pair_904_7(&ex(&["0x904 0x7"]));
}

#[test]
fn mstsc_dialog_text_with_codes() {
    let e = ex(&[
        "This computer can't connect to the remote computer. Try connecting again. If the problem continues, contact the owner of the remote computer or your network administrator. Error code: 0x904 Extended error code: 0x7 Timestamp (UTC): 2025-03-04T09:12:44.123Z Activity ID: 4e1c0d2a-1111-4b44-9a8e-0c5e1c0f0000",
    ]);
    assert_pair_904_7(&e);
    assert!(e.messages.iter().any(|m| m.id == "generic-cant-connect"));
    // the timestamp and activity id are not read as codes
    assert_eq!(
        e.codes.len(),
        2,
        "{:?}",
        e.codes.iter().map(|c| &c.name).collect::<Vec<_>>()
    );
}

#[test]
fn dialog_text_with_typographic_apostrophes() {
    let e = ex(&[
        "This computer can\u{2019}t connect to the remote computer.\nError code: 0x904\nExtended error code: 0x7",
    ]);
    assert_pair_904_7(&e);
}

#[test]
fn credssp_status_code_ranks_the_oracle_cause_first() {
    let e = ex(&["0x80090302"]);
    assert_eq!(e.codes[0].name, "SEC_E_UNSUPPORTED_FUNCTION");
    assert_eq!(top(&e), "credssp-encryption-oracle");
    let c = &e.causes[0];
    assert!(c.fixes.iter().any(|f| {
        f.weakens_security
            && f.command
                .as_deref()
                .unwrap_or("")
                .contains("AllowEncryptionOracle")
    }));
    assert!(
        c.fixes
            .iter()
            .all(|f| !f.weakens_security || f.undo.is_some())
    );
}

#[test]
fn credssp_dialog_text() {
    let e = ex(&[
        "An authentication error has occurred. The function requested is not supported. Remote computer: srv01 This could be due to CredSSP encryption oracle remediation. For more information, see https://go.microsoft.com/fwlink/?linkid=866660",
    ]);
    assert_eq!(top(&e), "credssp-encryption-oracle");
    assert!(
        e.codes
            .iter()
            .any(|c| c.name == "SEC_E_UNSUPPORTED_FUNCTION")
    );
    assert!(e.messages.iter().any(|m| m.id == "credssp-oracle"));
}

#[test]
fn bare_number_lists_every_family_most_likely_first() {
    let e = ex(&["0x904"]);
    assert_eq!(e.codes[0].family, Family::MstscDisconnect);

    let e = ex(&["0x7"]);
    let fams: Vec<Family> = e.codes.iter().map(|c| c.family).collect();
    assert_eq!(fams[0], Family::MstscExtended);
    assert!(fams.contains(&Family::Errinfo));
    assert!(fams.contains(&Family::Errconnect));
    assert!(e.notes.iter().any(|n| n.contains("tables")));
}

#[test]
fn hex_without_prefix_is_tried_when_decimal_matches_nothing() {
    let e = ex(&["904"]);
    assert_eq!(e.codes[0].name, "disconnectReasonAtClientWinsockFDCLOSE");
    assert!(e.notes.iter().any(|n| n.contains("hexadecimal")));
}

#[test]
fn symbolic_names() {
    let e = ex(&["ERRINFO_SERVER_DENIED_CONNECTION"]);
    assert_eq!(e.codes[0].family, Family::Errinfo);
    assert_eq!(e.codes[0].value, 7);
    assert_eq!(top(&e), "user-not-allowed");

    let e = ex(&["errinfo_server_denied_connection"]);
    assert_eq!(e.codes[0].name, "ERRINFO_SERVER_DENIED_CONNECTION");

    // without the prefix: the extended code and ERRINFO are the same value
    let e = ex(&["SERVER_DENIED_CONNECTION"]);
    assert!(
        e.codes
            .iter()
            .any(|c| c.name == "ERRINFO_SERVER_DENIED_CONNECTION")
    );
    assert!(e.codes.iter().all(|c| c.value == 7));

    let e = ex(&["SEC_E_UNSUPPORTED_FUNCTION"]);
    assert_eq!(top(&e), "credssp-encryption-oracle");

    let e = ex(&["HYBRID_REQUIRED_BY_SERVER"]);
    assert_eq!(e.codes[0].family, Family::RdpNegFailure);
    assert_eq!(top(&e), "nla-required-client-lacks");

    let e = ex(&["exDiscReasonServerDeniedConnectionFips"]);
    assert_eq!(top(&e), "fips-required");
}

#[test]
fn freerdp_forms() {
    let e = ex(&["ERRCONNECT_TLS_CONNECT_FAILED", "[0x00020008]"]);
    assert_eq!(e.codes.len(), 1, "name and number are the same code");
    assert_eq!(e.codes[0].name, "ERRCONNECT_TLS_CONNECT_FAILED");
    assert!(e.codes[0].display.contains("[0x00020008]"));

    let e = ex(&["[0x0002000D]"]);
    assert_eq!(e.codes[0].name, "ERRCONNECT_CONNECT_TRANSPORT_FAILED");

    let e = ex(&["0x0001000C"]);
    assert_eq!(e.codes[0].name, "ERRINFO_LOGOFF_BY_USER");

    let e = ex(&[
        "[ERROR][com.freerdp.core] - transport_connect_tls: ERRCONNECT_TLS_CONNECT_FAILED [0x00020008]",
    ]);
    assert_eq!(e.codes.len(), 1);
    assert_eq!(e.codes[0].name, "ERRCONNECT_TLS_CONNECT_FAILED");

    let e = ex(&["FREERDP_ERROR_TLS_CONNECT_FAILED"]);
    assert_eq!(e.codes[0].name, "ERRCONNECT_TLS_CONNECT_FAILED");
}

#[test]
fn freerdp_lab_output_with_certificate_lines() {
    let e = ex(&[
        "[WARN][com.freerdp.crypto] - Certificate verification failure 'certificate has expired (10)' at stack position 0\n[ERROR][com.freerdp.core] - transport_connect_tls:freerdp_set_last_error_ex ERRCONNECT_TLS_CONNECT_FAILED [0x00020008]\nAuthentication only, exit status 1",
    ]);
    assert_eq!(top(&e), "rdp-cert-expired");
    assert!(e.notes.iter().any(|n| n.contains("auth-only")));
}

#[test]
fn unknown_protocol_security_error_6() {
    let e = ex(&["Unknown protocol security error 6"]);
    assert_eq!(e.codes[0].name, "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER");
}

#[test]
fn ntstatus_and_sspi_values() {
    let e = ex(&["0xC000015B"]);
    assert_eq!(e.codes[0].name, "STATUS_LOGON_TYPE_NOT_GRANTED");
    assert_eq!(top(&e), "user-not-allowed");

    let e = ex(&["0xC0000234"]);
    assert_eq!(top(&e), "account-restricted");

    let e = ex(&["C0000224"]);
    assert_eq!(e.codes[0].name, "STATUS_PASSWORD_MUST_CHANGE");

    let e = ex(&["Sub Status: C0000224 (from the event)"]);
    assert_eq!(e.codes[0].name, "STATUS_PASSWORD_MUST_CHANGE");

    let e = ex(&["Status: 80090302"]);
    assert_eq!(e.codes[0].name, "SEC_E_UNSUPPORTED_FUNCTION");

    let e = ex(&["mstsc said 80090302 today"]);
    assert_eq!(e.codes[0].name, "SEC_E_UNSUPPORTED_FUNCTION");

    let e = ex(&["0x80090324"]);
    assert_eq!(top(&e), "clock-skew");
}

#[test]
fn event_ids() {
    let e = ex(&["event", "1058"]);
    assert_eq!(e.codes[0].family, Family::EventRcm);
    assert!(["rdp-cert-expired", "rdp-cert-private-key-broken"].contains(&top(&e)));

    let e = ex(&["schannel", "36870"]);
    assert_eq!(e.codes[0].family, Family::EventSchannel);
    assert_eq!(top(&e), "rdp-cert-private-key-broken");

    let e = ex(&["event 4625"]);
    assert_eq!(e.codes[0].family, Family::EventSecurity);
    assert_eq!(top(&e), "wrong-credentials");

    let e = ex(&["Event ID: 4825"]);
    assert_eq!(top(&e), "user-not-allowed");

    let e = ex(&["event 1006"]);
    assert_eq!(top(&e), "too-many-pending-connections");

    // a bare event number works too
    let e = ex(&["1057"]);
    assert_eq!(e.codes[0].family, Family::EventRcm);
}

#[test]
fn event_226_exists_for_client_and_server() {
    let e = ex(&["event 226"]);
    let fams: Vec<Family> = e.codes.iter().map(|c| c.family).collect();
    assert!(fams.contains(&Family::EventRdpClient) && fams.contains(&Family::EventRdpcorets));
    let e = ex(&["RdpCoreTS event 226"]);
    assert_eq!(e.codes.len(), 1);
    assert_eq!(e.codes[0].family, Family::EventRdpcorets);
}

#[test]
fn pasted_event_texts() {
    let e = ex(&["RDP ClientActiveX has been disconnected (Reason= 2308)"]);
    assert_eq!(e.codes[0].name, "disconnectReasonAtClientWinsockFDCLOSE");

    let e = ex(&[
        "An account failed to log on. Logon Type: 10 ... Failure Information: Failure Reason: Unknown user name or bad password. Status: 0xC000006D Sub Status: 0xC000006A",
    ]);
    assert!(e.codes.iter().any(|c| c.name == "STATUS_WRONG_PASSWORD"));
    assert!(e.codes.iter().any(|c| c.name == "RemoteInteractive"));
    assert_eq!(top(&e), "wrong-credentials");

    let e = ex(&[
        "A fatal alert was received from the remote endpoint. The TLS protocol defined fatal alert code is 70.",
    ]);
    assert_eq!(e.codes[0].name, "protocol_version");
    assert_eq!(top(&e), "tls-version-or-cipher-mismatch");
}

#[test]
fn well_known_dialog_texts_without_codes() {
    for (text, cause) in [
        (
            "The remote computer requires Network Level Authentication, which your computer does not support. For assistance, contact your system administrator or technical support.",
            "nla-required-client-lacks",
        ),
        (
            "The connection was denied because the user account is not authorized for remote login.",
            "user-not-allowed",
        ),
        (
            "To sign in remotely, you need the right to sign in through Remote Desktop Services. By default, members of the Remote Desktop Users group have this right.",
            "user-not-allowed",
        ),
        (
            "Remote Desktop cannot verify the identity of the remote computer because there is a time or date difference between your computer and the remote computer.",
            "clock-skew",
        ),
        (
            "The remote session was disconnected because there are no Remote Desktop License Servers available to provide a license.",
            "rds-licensing",
        ),
        (
            "Remote Desktop can't find the computer \"srv01\". This might mean that \"srv01\" does not belong to the specified network.",
            "name-resolution",
        ),
        (
            "The client can't connect because it doesn't support FIPS encryption level. Please lower the server side required security level Policy",
            "fips-required",
        ),
        (
            "An internal error has occurred.",
            "rdp-cert-private-key-broken",
        ),
        ("Your credentials did not work", "wrong-credentials"),
    ] {
        let e = ex(&[text]);
        assert_eq!(top(&e), cause, "{text}");
    }
}

#[test]
fn generic_text_alone_still_gives_an_answer() {
    let e = ex(&["This computer can't connect to the remote computer. Try connecting again."]);
    assert!(!e.causes.is_empty());
}

#[test]
fn scores_are_ranked_and_sum_to_about_one() {
    let e = ex(&["0x904", "0x7"]);
    // The shares are normalised over every cause the codes point to; the
    // ranking then lists those above its threshold.
    let shares = rdpdoctor_diagnose::codes::shares(&e.read);
    let sum: f64 = shares.iter().map(|c| c.share).sum();
    assert!((sum - 1.0).abs() < 0.02, "sum {sum}");
    assert!(e.causes.windows(2).all(|w| w[0].share >= w[1].share));
    assert!(!e.causes[0].from_codes.is_empty());
    assert!(!e.causes[0].confirm.is_empty() && !e.causes[0].fixes.is_empty());
}

#[test]
fn unknown_input_says_what_is_accepted() {
    for bad in ["0xZZZ", "hello", "", "   "] {
        let err = explain(&[bad.to_string()]).unwrap_err();
        let ExplainError::Unknown(msg) = err;
        assert!(msg.contains("accepts"), "{msg}");
        assert!(msg.contains("0x904 0x7"), "{msg}");
    }
    assert!(explain(&[]).is_err());
    let ExplainError::Unknown(msg) = explain(&["0x12345678".to_string()]).unwrap_err();
    assert!(msg.contains("0x12345678"), "{msg}");
}

#[test]
fn explanation_serializes_to_json() {
    let e = ex(&["0x904", "0x7"]);
    let v = serde_json::to_value(&*e).unwrap();
    assert_eq!(v["codes"][0]["family"], "mstsc-disconnect");
    assert_eq!(v["codes"][1]["family"], "mstsc-extended");
    let causes = serde_json::to_value(&e.causes).unwrap();
    assert_eq!(causes[0]["id"], "rdp-cert-expired");
    assert!(causes[0]["fixes"][0]["kind"].is_string());
    // the whole knowledge base serializes too
    serde_json::to_string(rdpdoctor_kb::kb()).unwrap();
}

/// `explain X` and `probe HOST --error X` rank through the same code: the
/// same codes alone give the same causes, in the same order, with the same
/// shares and weights, whether `explain` judges them or a probe that
/// observed nothing carries them (and the relations' own entry point too).
#[test]
fn explain_and_probe_error_rank_through_the_same_code() {
    use rdpdoctor_diagnose::{rank_findings, read_codes};
    let nothing_observed = common::report_at("2026-12-07T00:00:00Z");
    let key = |causes: &[RankedCause]| -> Vec<(String, f64, Option<f64>, Vec<String>)> {
        causes
            .iter()
            .map(|c| (c.id.clone(), c.score, c.share, c.from_codes.clone()))
            .collect()
    };
    for input in [
        "0x904:0x7",
        "0x204",
        "0x80090302",
        "ERRINFO_SERVER_DENIED_CONNECTION",
        "An authentication error has occurred. The function requested is not supported",
        "exit 147",
    ] {
        let read = read_codes(input).unwrap();
        let explain = judge(&Evidence::codes(input, &read), &Context::default())
            .diagnosis
            .causes;
        let probe = common::with_error(&nothing_observed, input)
            .diagnosis
            .causes;
        assert!(!explain.is_empty(), "{input}");
        assert_eq!(key(&explain), key(&probe), "{input}");
        assert_eq!(
            key(&explain),
            key(&rank_findings(&[], Some(input)).unwrap()),
            "{input}"
        );
        // Each cause's weight from the codes is the one documented rule.
        for c in &explain {
            let share = c.share.unwrap();
            assert_eq!(c.evidence_for[0].finding, "error");
            assert!((c.score - 1.5 * share).abs() < 0.002, "{input}: {c:?}");
        }
    }
}

/// The field prior's causes exist and are among those its codes point to:
/// the protocol meaning bounds the field's list.
#[test]
fn every_cause_a_prior_names_exists_and_its_codes_allow_it() {
    let kb = rdpdoctor_kb::kb();
    assert!(!kb.priors().is_empty());
    for p in kb.priors() {
        assert!(
            !p.source.is_empty() && !p.how_to_tell.is_empty(),
            "{}",
            p.title
        );
        for w in &p.causes {
            assert!(kb.cause(&w.cause).is_some(), "{}: {}", p.title, w.cause);
            let pointed = p.codes.iter().any(|c| {
                kb.lookup_ref(*c)
                    .is_some_and(|code| code.causes.iter().any(|x| x.cause == w.cause))
            });
            assert!(
                pointed,
                "{}: no code of the prior points to {}",
                p.title, w.cause
            );
        }
    }
}

// The RD Gateway: the E_PROXY_* HRESULTs of [MS-TSGU 2.2.6], the gateway's
// event ids and xfreerdp's gateway exit code, each giving the cause a user
// must act on first, with its fix.

/// The first fix of a cause, as the user reads it: title, path and command.
fn first_fix_path(c: &RankedCause) -> String {
    let f = c.fixes.first().expect("a fix");
    format!(
        "{} {} {}",
        f.title,
        f.path.as_deref().unwrap_or(""),
        f.command.as_deref().unwrap_or("")
    )
}

#[test]
fn rap_denied_gives_the_rap_cause_first_with_the_rap_fix() {
    let e = ex(&["0x800759DA"]);
    assert_eq!(e.codes[0].family, Family::TsguHresult);
    assert_eq!(e.codes[0].name, "E_PROXY_RAP_ACCESSDENIED");
    let c = &e.causes[0];
    assert_eq!(c.id, "rd-gateway-access-denied");
    let fix = first_fix_path(c);
    assert!(
        fix.contains("Resource Authorization Policies") && fix.contains("Network Resource"),
        "{fix}"
    );
    // the name alone, as xfreerdp's log prints it, says the same
    assert_eq!(
        top(&ex(&["E_PROXY_RAP_ACCESSDENIED"])),
        "rd-gateway-access-denied"
    );
}

#[test]
fn every_tsgu_family_points_at_its_cause() {
    for (code, cause) in [
        ("0x800759DB", "rd-gateway-cap-denied"),
        ("0x800759DD", "rd-gateway-cannot-reach-host"),
        ("0x800759E6", "rd-gateway-connection-limit"),
        ("0x800759EE", "rd-gateway-cert-invalid"),
        ("0x800759F8", "rd-gateway-cap-denied"),
        ("0x800759F9", "rd-gateway-cap-denied"),
        ("0x800759E9", "rd-gateway-cap-denied"),
        ("0x800759D8", "rd-gateway-cap-denied"),
        ("0x800759ED", "rd-gateway-cap-denied"),
        ("0x800759FC", "rd-gateway-access-denied"),
    ] {
        let e = ex(&[code]);
        assert_eq!(top(&e), cause, "{code}");
        let c = &e.causes[0];
        assert!(!c.fixes.is_empty(), "{code}: {cause} has no fix");
    }
}

#[test]
fn every_documented_e_proxy_value_is_known() {
    for (v, name) in [
        (0x8007_59D8u32, "E_PROXY_INTERNALERROR"),
        (0x8007_59DA, "E_PROXY_RAP_ACCESSDENIED"),
        (0x8007_59DB, "E_PROXY_NAP_ACCESSDENIED"),
        (0x8007_59DD, "E_PROXY_TS_CONNECTFAILED"),
        (0x8007_59DF, "E_PROXY_ALREADYDISCONNECTED"),
        (0x8007_59E6, "E_PROXY_MAXCONNECTIONSREACHED"),
        (0x8007_59E8, "E_PROXY_NOTSUPPORTED"),
        (0x8007_59E9, "E_PROXY_CAPABILITYMISMATCH"),
        (0x8007_59ED, "E_PROXY_QUARANTINE_ACCESSDENIED"),
        (0x8007_59EE, "E_PROXY_NOCERTAVAILABLE"),
        (0x8007_59F6, "E_PROXY_SESSIONTIMEOUT"),
        (0x8007_59F7, "E_PROXY_COOKIE_BADPACKET"),
        (0x8007_59F8, "E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED"),
        (0x8007_59F9, "E_PROXY_UNSUPPORTED_AUTHENTICATION_METHOD"),
        (0x8007_59FA, "E_PROXY_REAUTH_AUTHN_FAILED"),
        (0x8007_59FB, "E_PROXY_REAUTH_CAP_FAILED"),
        (0x8007_59FC, "E_PROXY_REAUTH_RAP_FAILED"),
        (0x8007_59FD, "E_PROXY_SDR_NOT_SUPPORTED_BY_TS"),
        (0x8007_5A00, "E_PROXY_REAUTH_NAP_FAILED"),
    ] {
        let e = ex(&[&format!("0x{v:08X}")]);
        assert_eq!(e.codes[0].name, name, "0x{v:08X}");
    }
}

#[test]
fn gateway_events_point_at_the_gateway_causes() {
    for (args, cause) in [
        (&["gateway", "event", "301"][..], "rd-gateway-access-denied"),
        (&["gateway event 304"][..], "rd-gateway-cannot-reach-host"),
        (&["gateway event 201"][..], "rd-gateway-cap-denied"),
        (&["gateway event 203"][..], "rd-gateway-connection-limit"),
        (&["gateway event 306"][..], "rd-gateway-cert-invalid"),
        (&["gateway event 305"][..], "rd-gateway-cap-denied"),
    ] {
        let e = ex(args);
        assert_eq!(e.codes[0].family, Family::EventGateway, "{args:?}");
        assert_eq!(top(&e), cause, "{args:?}");
    }
}

#[test]
fn the_http_transport_fix_is_rdgclienttransport_with_its_undo() {
    let kb = rdpdoctor_kb::kb();
    let cause = kb
        .cause("rd-gateway-http-transport-blocked")
        .expect("the cause");
    let fix = cause
        .fixes
        .iter()
        .find(|f| {
            f.command
                .as_deref()
                .unwrap_or("")
                .contains("RDGClientTransport")
        })
        .expect("the client fix");
    assert!(fix.command.as_deref().unwrap().contains("/d 1"));
    assert!(fix.undo.as_deref().unwrap_or("").contains(
        "reg delete \"HKCU\\Software\\Microsoft\\Terminal Server Client\" /v RDGClientTransport"
    ));
}

#[test]
fn xfreerdp_131_now_names_the_gateway_and_0x904_0x7_is_unchanged() {
    let e = ex(&["exit", "131"]);
    assert!(
        e.causes.iter().any(|c| c.id == "rd-gateway-access-denied"),
        "{:?}",
        e.causes.iter().map(|c| &c.id).collect::<Vec<_>>()
    );
    let e = ex(&["0x904", "0x7"]);
    assert!(
        e.causes
            .iter()
            .any(|c| c.id == "rd-gateway-cannot-reach-host")
    );
}
