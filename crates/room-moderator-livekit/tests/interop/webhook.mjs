// The official LiveKit server SDK's WebhookReceiver checking the webhooks the LiveKit emulator
// posted. Run by tests/interop.rs with the captured requests as JSON on stdin
// ([{"body": "...", "auth": "..."}]); prints one JSON line: for each request what the receiver
// made of it as sent, with the body altered, and with a wrong secret.
import { WebhookReceiver } from 'livekit-server-sdk';

const { LIVEKIT_API_KEY: key, LIVEKIT_API_SECRET: secret } = process.env;

let input = '';
for await (const chunk of process.stdin) input += chunk;
const requests = JSON.parse(input);

async function outcome(receiver, body, auth) {
  try {
    const event = await receiver.receive(body, auth);
    return {
      ok: true,
      event: event.event,
      id: event.id,
      room: event.room?.name ?? null,
      identity: event.participant?.identity ?? null,
      state: event.participant?.state ?? null,
    };
  } catch (e) {
    return { ok: false, error: String(e?.message ?? e) };
  }
}

const good = new WebhookReceiver(key, secret);
const wrong = new WebhookReceiver(key, 'not-the-secret');
const results = [];
for (const { body, auth } of requests) {
  results.push({
    asSent: await outcome(good, body, auth),
    altered: await outcome(good, body.replace('troll', 'alice'), auth),
    wrongSecret: await outcome(wrong, body, auth),
  });
}
console.log(JSON.stringify(results));
