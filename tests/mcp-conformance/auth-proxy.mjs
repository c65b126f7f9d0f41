// A pass-through proxy that adds the hub's credentials to every request.
//
// The conformance suite's MCP client connects with a bare URL and cannot send headers, while
// every /mcp request needs an API key (HTTP Basic). This proxy forwards each request unchanged
// (method, path, query, Host, Origin, body) to the hub and adds `Authorization` and, if absent,
// `x-account-id`; answers stream back unchanged.
//
// Environment: HUB_URL (http://127.0.0.1:PORT), HUB_API_KEY, HUB_ACCOUNT_ID.
// Prints the port it listens on (127.0.0.1, chosen by the system) on stdout.
import http from "node:http";

const hub = new URL(process.env.HUB_URL);
const authorization = "Basic " + Buffer.from(`${process.env.HUB_API_KEY}:`).toString("base64");
const account = process.env.HUB_ACCOUNT_ID;

const server = http.createServer((request, response) => {
  const headers = { ...request.headers, authorization };
  if (!headers["x-account-id"]) headers["x-account-id"] = account;
  const upstream = http.request(
    {
      host: hub.hostname,
      port: hub.port,
      method: request.method,
      path: request.url,
      headers,
    },
    (answer) => {
      response.writeHead(answer.statusCode, answer.headers);
      answer.pipe(response);
    },
  );
  upstream.on("error", (error) => {
    response.writeHead(502, { "content-type": "text/plain" });
    response.end(`proxy: ${error.message}`);
  });
  request.pipe(upstream);
});

server.listen(0, "127.0.0.1", () => {
  console.log(server.address().port);
});
