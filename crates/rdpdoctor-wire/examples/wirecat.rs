//! A small hex-in/hex-out front end to the codecs, for poking real servers
//! from a script (which does the socket and TLS work):
//!
//! ```text
//! wirecat cr 3 probe            # X.224 Connection Request, requested=3, cookie
//! wirecat cr none               # legacy Connection Request
//! wirecat ci 1 0 rdpdr,cliprdr  # Connect Initial: selected=SSL, methods=0
//! wirecat ts 6                  # TSRequest v6 carrying an NTLM NEGOTIATE
//! wirecat decode cc|mcs|ts|ntlm HEX
//! ```

use rdpdoctor_wire::{credssp, mcs, ntlm, x224};

fn parse_num(s: &str) -> u32 {
    let r = match s.strip_prefix("0x") {
        Some(h) => u32::from_str_radix(h, 16),
        None => s.parse(),
    };
    r.unwrap_or_else(|_| panic!("not a number: {s}"))
}

fn unhex(s: &str) -> Vec<u8> {
    let d: Vec<u8> = s.bytes().filter(|b| b.is_ascii_hexdigit()).collect();
    d.chunks(2)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    match a(0) {
        "cr" => {
            let req = if a(1) == "none" {
                None
            } else {
                Some(parse_num(a(1)))
            };
            let cookie = args.get(2).map(String::as_str);
            println!("{}", hex(&x224::encode_connection_request(req, cookie)));
        }
        "ci" => {
            let channels = if a(3).is_empty() {
                vec![]
            } else {
                a(3).split(',').map(str::to_owned).collect()
            };
            let opts = mcs::ConnectInitialOptions {
                selected_protocol: parse_num(a(1)),
                encryption_methods: parse_num(a(2)),
                client_name: "rdpdoctor".into(),
                desktop_width: 1024,
                desktop_height: 768,
                channels,
            };
            println!("{}", hex(&mcs::encode_connect_initial(&opts)));
        }
        "ts" => {
            let v = parse_num(a(1));
            println!(
                "{}",
                hex(&credssp::encode_ts_request(v, &ntlm::encode_negotiate()))
            );
        }
        "decode" => {
            let bytes = unhex(a(2));
            match a(1) {
                "cc" => println!("{:#?}", x224::decode_connection_confirm(&bytes)),
                "mcs" => println!("{:#?}", mcs::decode_connect_response(&bytes)),
                "ts" => {
                    let ts = credssp::decode_ts_request(&bytes);
                    println!("{ts:#?}");
                    if let Ok(credssp::TsRequest {
                        nego_token: Some(t),
                        ..
                    }) = &ts
                        && let Some(m) = ntlm::find_ntlmssp(t)
                    {
                        println!("{:#?}", ntlm::decode_challenge(m));
                    }
                }
                "ntlm" => println!("{:#?}", ntlm::decode_challenge(&bytes)),
                other => eprintln!("unknown decoder {other}"),
            }
        }
        _ => eprintln!("usage: see the source"),
    }
}
