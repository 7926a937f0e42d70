// @simplewebauthn/server, loaded on first use: its CBOR, COSE and ASN.1 code holds about 5 MB of
// every process's heap once imported, and most installs never see a security key. The first
// challenge (or answer) of a process pays the import, a few milliseconds, once.
type WebAuthnLibrary = typeof import('@simplewebauthn/server');

let library: Promise<WebAuthnLibrary> | undefined;

export function webauthnLibrary(): Promise<WebAuthnLibrary> {
	return (library ??= import('@simplewebauthn/server'));
}
