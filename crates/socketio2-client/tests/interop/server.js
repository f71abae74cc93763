// Reference Socket.IO 2 server (socket.io 2.x = protocol v4 over Engine.IO v3) for the interop test of
// the socketio2-client crate. Prints {"port": N} on stdout once listening.
//
// A short pingInterval makes the client ping often, so the test sees several pings quickly; a long
// pingTimeout keeps a busy test machine from closing the socket between two pings (engine.io 3
// closes a socket that has not pinged within pingInterval + pingTimeout). The test waits for pings
// to be counted here ('await-pings') instead of sleeping.
'use strict';

const http = require('http');
const socketio = require('socket.io');

const server = http.createServer();
const io = socketio(server, {
  pingInterval: 200,
  pingTimeout: 5000,
  transports: ['websocket'],
});

io.on('connection', (socket) => {
  let pings = 0;
  socket.conn.on('packet', (packet) => {
    if (packet.type === 'ping') pings += 1;
  });

  // Server-initiated event, sent as soon as the client is connected.
  socket.emit('welcome', { eio: socket.handshake.query.EIO, transport: socket.conn.transport.name });

  // Event with ack: answers with the arguments it was given.
  socket.on('echo', (...args) => {
    const ack = args.pop();
    if (typeof ack === 'function') ack(...args);
  });

  // Acknowledges once this connection has sent at least `count` Engine.IO pings.
  socket.on('await-pings', (count, ack) => {
    const check = () => (pings >= count ? ack({ pings }) : setTimeout(check, 20));
    check();
  });

  // Server-initiated event that asks the client for an ack, then reports the answer.
  socket.on('ask', () => {
    socket.emit('question', 'ping?', (answer) => socket.emit('answered', answer));
  });

  socket.on('bye', () => socket.disconnect(true));
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});

// Exit with the test that started us.
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
