// A web worker for examples/web.ini: serves on the socket circusd hands it (fd in argv[2]),
// and on SIGTERM stops accepting and finishes what it has, so a reload loses no request.
import http from "node:http";
import net from "node:net";

const fd = Number(process.argv[2]);
const server = http.createServer((req, res) => {
  // No keep-alive: an idle connection closed by a stopping worker could meet a request.
  res.setHeader("connection", "close");
  res.end(`hello from worker ${process.pid}\n`);
});
// A plain net.Server accepts, the HTTP server serves what it hands over: on SIGTERM, closing
// the listener only stops accepting (the socket stays open in circusd and the other workers,
// so new connections wait there) and each connection ends the normal way, reply then FIN.
// http.Server.close() would also destroy the answered connections not yet closed, and the
// kernel resets one if the client's next bytes have arrived: a failed request for the client.
const listener = net.createServer((socket) => server.emit("connection", socket));
listener.listen({ fd });
process.on("SIGTERM", () => listener.close(() => process.exit(0)));
