// The official LiveKit server SDK for Node driving the LiveKit emulator, and checking tokens both
// ways. Run by tests/interop.rs; prints one JSON line with what it saw.
import { AccessToken, RoomServiceClient, TokenVerifier } from 'livekit-server-sdk';

const { LIVEKIT_URL: url, LIVEKIT_API_KEY: key, LIVEKIT_API_SECRET: secret, ROOM: room, OUR_TOKEN: ourToken } =
  process.env;

async function refusal(promise) {
  try {
    await promise;
    return null;
  } catch (e) {
    return { status: e.status ?? null, code: e.code ?? null };
  }
}

const client = new RoomServiceClient(url, key, secret);
const listed = await client.listParticipants(room);
const participants = listed.map((p) => ({ identity: p.identity, kind: p.kind, name: p.name }));
await client.removeParticipant(room, 'troll');
const absent = await refusal(client.removeParticipant(room, 'ghost'));
const wrongSecret = await refusal(new RoomServiceClient(url, key, 'not-the-secret').listParticipants(room));
const unknownRoom = await refusal(
  new RoomServiceClient(url, key, secret).getParticipant(room + '-other', 'alice'),
);
const after = (await client.listParticipants(room)).map((p) => p.identity);

const claims = await new TokenVerifier(key, secret).verify(ourToken);
const ourTokenWrongSecret = await refusal(new TokenVerifier(key, 'not-the-secret').verify(ourToken));

const sdkToken = new AccessToken(key, secret, { identity: 'bob', name: 'Bob', ttl: '10m' });
sdkToken.addGrant({ roomJoin: true, room });

console.log(
  JSON.stringify({
    participants,
    absent,
    wrongSecret,
    unknownRoom,
    after,
    claims,
    ourTokenRejectedWithWrongSecret: ourTokenWrongSecret !== null,
    sdkToken: await sdkToken.toJwt(),
  }),
);
