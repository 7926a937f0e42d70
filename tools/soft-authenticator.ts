// A software WebAuthn authenticator for tests: an ES256 key made with node:crypto, and the
// authenticator data, clientDataJSON, attestation object and signatures built by hand, byte for
// byte as the WebAuthn spec lays them out. Each answer can be bent (another origin or RP ID, a
// counter of one's choosing) to play an attacker or a cloned key.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

export interface SoftAuthenticatorOptions {
	/** The site's origin, e.g. https://admin.example.test; the RP ID is its host name. */
	origin: string;
	userVerified?: boolean;
	/** A synced passkey (backup eligible and backed up) rather than one device's key. */
	synced?: boolean;
	/** The first counter value an assertion sends (it then counts up); 0 keeps it at 0. */
	counterStart?: number;
}

/** How an answer may be bent, to play an attacker. */
export interface Bend {
	origin?: string;
	rpId?: string;
	/** The counter this answer carries, instead of the next one. */
	counter?: number;
	/** Sign as this key's id but with another key (a forged answer). */
	signWith?: KeyObject;
	/** Leave the user-present flag unset. */
	absent?: boolean;
	/** Whether this answer says the user was verified (PIN, biometrics); else the key's option. */
	userVerified?: boolean;
	/** Another credential id than this key's (the id of someone else's key). */
	credentialId?: string;
}

interface Challenged {
	challenge: string;
}

export class SoftAuthenticator {
	readonly credentialId = randomBytes(32).toString('base64url');
	private readonly keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
	private counter: number;
	private readonly origin: string;
	private readonly rpId: string;

	constructor(private readonly options: SoftAuthenticatorOptions) {
		this.origin = options.origin;
		this.rpId = new URL(options.origin).hostname;
		this.counter = options.counterStart ?? 1;
	}

	/** The last counter value sent. */
	get signCount(): number {
		return this.counter;
	}

	/** What `startRegistration()` would send for these options. */
	register(options: Challenged, bend: Bend = {}) {
		const clientDataJSON = this.clientData('webauthn.create', options.challenge, bend);
		const authData = this.authenticatorData(bend, 0, true);
		const attestationObject = isoCBOR.encode(
			new Map<string, unknown>([
				['fmt', 'none'],
				['attStmt', new Map()],
				['authData', authData]
			]) as never
		);
		return {
			id: this.credentialId,
			rawId: this.credentialId,
			type: 'public-key' as const,
			clientExtensionResults: {},
			authenticatorAttachment: 'cross-platform' as const,
			response: {
				clientDataJSON: b64(clientDataJSON),
				attestationObject: b64(attestationObject),
				transports: ['usb']
			}
		};
	}

	/** What `startAuthentication()` would send for these options (the counter moves on). */
	assert(options: Challenged, bend: Bend = {}) {
		if (bend.counter === undefined && this.counter > 0) this.counter += 1;
		const counter = bend.counter ?? this.counter;
		const clientDataJSON = this.clientData('webauthn.get', options.challenge, bend);
		const authData = this.authenticatorData(bend, counter, false);
		const signed = Buffer.concat([authData, createHash('sha256').update(clientDataJSON).digest()]);
		const signature = sign('sha256', signed, bend.signWith ?? this.keys.privateKey);
		const id = bend.credentialId ?? this.credentialId;
		return {
			id,
			rawId: id,
			type: 'public-key' as const,
			clientExtensionResults: {},
			authenticatorAttachment: 'cross-platform' as const,
			response: {
				clientDataJSON: b64(clientDataJSON),
				authenticatorData: b64(authData),
				signature: b64(signature)
			}
		};
	}

	private clientData(type: string, challenge: string, bend: Bend): Buffer {
		const origin = bend.origin ?? this.origin;
		return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
	}

	private authenticatorData(bend: Bend, counter: number, attested: boolean): Buffer {
		const rpIdHash = createHash('sha256')
			.update(bend.rpId ?? this.rpId)
			.digest();
		let flags = bend.absent ? 0 : FLAG_UP;
		if (bend.userVerified ?? this.options.userVerified ?? true) flags |= FLAG_UV;
		if (this.options.synced) flags |= FLAG_BE | FLAG_BS;
		if (attested) flags |= FLAG_AT;
		const count = Buffer.alloc(4);
		count.writeUInt32BE(counter);
		const parts: Uint8Array[] = [rpIdHash, Buffer.from([flags]), count];
		if (attested) {
			const id = Buffer.from(this.credentialId, 'base64url');
			const length = Buffer.alloc(2);
			length.writeUInt16BE(id.length);
			parts.push(Buffer.alloc(16), length, id, this.cosePublicKey());
		}
		return Buffer.concat(parts);
	}

	/** The public key as a COSE_Key (EC2, P-256, ES256). */
	private cosePublicKey(): Buffer {
		const jwk = this.keys.publicKey.export({ format: 'jwk' });
		const cose = new Map<number, unknown>([
			[1, 2],
			[3, -7],
			[-1, 1],
			[-2, Buffer.from(jwk.x!, 'base64url')],
			[-3, Buffer.from(jwk.y!, 'base64url')]
		]);
		return Buffer.from(isoCBOR.encode(cose as never));
	}
}

/** Another key pair, to forge a signature with. */
export function otherKey(): KeyObject {
	return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
}

function b64(bytes: Uint8Array): string {
	return Buffer.from(bytes).toString('base64url');
}
