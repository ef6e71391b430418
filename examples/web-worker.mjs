// A web worker for examples/web.ini: serves on the socket circusd hands it (fd in argv[2]),
// and on SIGTERM stops accepting and finishes what it has, so a reload loses no request.
import http from "node:http";

const fd = Number(process.argv[2]);
const server = http.createServer((req, res) => {
  res.setHeader("connection", "close");
  res.end(`hello from worker ${process.pid}\n`);
});
server.listen({ fd });
process.on("SIGTERM", () => server.close(() => process.exit(0)));
