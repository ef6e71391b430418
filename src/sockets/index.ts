export { CircusSocket, bindAll, type SocketInfo } from "./circus-socket.js";
