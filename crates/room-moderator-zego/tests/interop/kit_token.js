// Prints the token04 that ZEGO's official UIKit (npm @zegocloud/zego-uikit-prebuilt) builds with
// ZegoUIKitPrebuilt.generateKitTokenForTest(appID, serverSecret, roomID, userID, userName, seconds):
// its "kit token" is the token04, '#', and the base64 of the room and user; only the token04 is
// printed. Usage: node kit_token.js APP_ID SERVER_SECRET ROOM USER SECONDS
//
// The bundle is built for browsers: it is loaded here with inert stand-ins for the DOM objects it
// touches while loading (the token builder itself needs none of them).
"use strict";

function inert() {
  const f = function () {};
  return new Proxy(f, {
    get(_target, key) {
      if (key === Symbol.toPrimitive) return () => "";
      if (key === "then") return undefined;
      if (key === "length") return 0;
      if (key === Symbol.iterator) return function* () {};
      return inert();
    },
    apply: () => inert(),
    construct: () => inert(),
    set: () => true,
  });
}
const withFallback = (object) =>
  new Proxy(object, {
    get: (target, key) => (key in target ? target[key] : inert()),
    set: (target, key, value) => {
      target[key] = value;
      return true;
    },
  });

const page = "http://localhost/";
globalThis.window = withFallback(globalThis);
globalThis.self = globalThis.window;
globalThis.addEventListener = () => {};
globalThis.removeEventListener = () => {};
globalThis.document = withFallback({ baseURI: page, URL: page, referrer: "", cookie: "" });
globalThis.location = withFallback({ href: page, origin: "http://localhost", protocol: "http:", host: "localhost", hostname: "localhost", pathname: "/", search: "", hash: "" });
globalThis.navigator = withFallback({ userAgent: "node" });
for (const name of ["localStorage", "sessionStorage", "HTMLElement", "MutationObserver", "ResizeObserver", "Image", "AudioContext", "RTCPeerConnection", "MediaStream", "screen", "history", "XMLHttpRequest"]) {
  if (globalThis[name] === undefined) globalThis[name] = inert();
}

const [appId, secret, room, user, seconds] = process.argv.slice(2);
if (!seconds) {
  process.stderr.write("usage: node kit_token.js APP_ID SERVER_SECRET ROOM USER SECONDS\n");
  process.exit(2);
}
const { ZegoUIKitPrebuilt } = require("@zegocloud/zego-uikit-prebuilt");
const kit = ZegoUIKitPrebuilt.generateKitTokenForTest(Number(appId), secret, room, user, user, Number(seconds));
if (typeof kit !== "string" || !kit.startsWith("04")) {
  process.stderr.write(`no token04 from the UIKit: ${kit}\n`);
  process.exit(1);
}
process.stdout.write(kit.split("#")[0] + "\n");
