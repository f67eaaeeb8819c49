//! The CA bundle of an external source. It is copied verbatim into `AWS::DMS::Certificate` and into the committed
//! templates, so anything in it besides CA certificates (a private key pasted with the chain, a server's own
//! certificate) would be published: every block must decode as an X.509 CA certificate, and nothing else may
//! stand between the blocks.

use x509_cert::Certificate;
use x509_cert::der::{Decode, pem};
use x509_cert::ext::pkix::BasicConstraints;

const BEGIN: &str = "-----BEGIN ";
const END: &str = "-----END ";

/// Why `bundle` is not a PEM bundle of CA certificates, or `None` when it is one.
pub(super) fn ca_bundle_problem(bundle: &str) -> Option<String> {
    let mut blocks = 0;
    let mut lines = bundle.lines().enumerate().peekable();
    while let Some((i, line)) = lines.next() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some(label) = line
            .strip_prefix(BEGIN)
            .and_then(|rest| rest.strip_suffix("-----"))
        else {
            return Some(format!(
                "line {}: text outside a PEM block (only -----BEGIN CERTIFICATE----- blocks are allowed)",
                i + 1
            ));
        };
        if label != "CERTIFICATE" {
            // Name the label, never the contents: this message is printed and may be logged.
            return Some(format!(
                "line {}: a `{label}` block; only CERTIFICATE blocks are allowed (a private key or any other \
                 block would be published in the template)",
                i + 1
            ));
        }
        let mut block = String::from(line);
        block.push('\n');
        let mut closed = false;
        for (_, inner) in lines.by_ref() {
            let inner = inner.trim();
            block.push_str(inner);
            block.push('\n');
            if inner.starts_with(END) {
                closed = true;
                break;
            }
            if inner.starts_with(BEGIN) {
                break;
            }
        }
        blocks += 1;
        if !closed {
            return Some(format!(
                "certificate {blocks} (line {}) has no -----END CERTIFICATE----- line",
                i + 1
            ));
        }
        if let Some(why) = certificate_problem(&block) {
            return Some(format!("certificate {blocks} (line {}): {why}", i + 1));
        }
    }
    (blocks == 0).then(|| "no -----BEGIN CERTIFICATE----- block".to_string())
}

fn certificate_problem(block: &str) -> Option<String> {
    let (label, der) = match pem::decode_vec(block.as_bytes()) {
        Ok(decoded) => decoded,
        Err(e) => return Some(format!("not valid PEM ({e})")),
    };
    if label != "CERTIFICATE" {
        return Some(format!("a `{label}` block"));
    }
    let certificate = match Certificate::from_der(&der) {
        Ok(certificate) => certificate,
        Err(e) => return Some(format!("not an X.509 certificate ({e})")),
    };
    let is_ca = certificate
        .tbs_certificate()
        .get_extension::<BasicConstraints>()
        .ok()
        .flatten()
        .is_some_and(|(_, constraints)| constraints.ca);
    (!is_ca).then(|| {
        "not a CA certificate (no basicConstraints CA:TRUE): DMS verify-full needs the CA that signed the \
         server's certificate, not the server's own"
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test CA of `tests/fixtures/specs/verify-full.yaml`.
    const CA: &str = include_str!("../../tests/fixtures/pem/ca.pem");
    /// A certificate without basicConstraints CA:TRUE.
    const LEAF: &str = include_str!("../../tests/fixtures/pem/leaf.pem");

    #[test]
    fn a_ca_certificate_and_a_chain_of_them_are_accepted() {
        assert_eq!(ca_bundle_problem(CA), None);
        assert_eq!(ca_bundle_problem(&format!("{CA}\n{CA}")), None);
        assert_eq!(
            ca_bundle_problem(&format!("\n  {}", CA.replace('\n', "\n  "))),
            None
        );
    }

    #[test]
    fn a_private_key_anywhere_is_refused_without_echoing_it() {
        let key = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBvRp1Tq1sQ2M4hCMn8fH9p1Z5mJm1m1m1m1m1m1m1m1\n\
                   -----END PRIVATE KEY-----\n";
        for bundle in [format!("{CA}{key}"), format!("{key}{CA}")] {
            let why = ca_bundle_problem(&bundle).unwrap();
            assert!(why.contains("`PRIVATE KEY` block"), "{why}");
            assert!(!why.contains("MC4CAQAw"), "{why}");
        }
        let rsa = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n";
        assert!(
            ca_bundle_problem(&format!("{CA}{rsa}"))
                .unwrap()
                .contains("RSA PRIVATE KEY")
        );
    }

    #[test]
    fn text_outside_blocks_and_undecodable_blocks_are_refused() {
        assert!(
            ca_bundle_problem(&format!("Bag Attributes\n{CA}"))
                .unwrap()
                .contains("outside a PEM block")
        );
        assert!(
            ca_bundle_problem(&format!("{CA}trailing"))
                .unwrap()
                .contains("outside a PEM block")
        );
        let garbage = "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n";
        assert!(
            ca_bundle_problem(garbage)
                .unwrap()
                .contains("not valid PEM")
        );
        let not_x509 = "-----BEGIN CERTIFICATE-----\nAAECAwQF\n-----END CERTIFICATE-----\n";
        assert!(
            ca_bundle_problem(not_x509)
                .unwrap()
                .contains("not an X.509 certificate")
        );
        let unclosed = CA.replace("-----END CERTIFICATE-----", "");
        assert!(
            ca_bundle_problem(&unclosed)
                .unwrap()
                .contains("no -----END CERTIFICATE-----")
        );
        assert!(ca_bundle_problem("").unwrap().contains("no -----BEGIN"));
    }

    #[test]
    fn a_server_certificate_is_not_a_ca() {
        assert!(
            ca_bundle_problem(LEAF)
                .unwrap()
                .contains("not a CA certificate")
        );
    }
}
