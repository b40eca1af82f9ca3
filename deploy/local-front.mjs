// A stand-in for the CloudFront distribution of deploy/template.yaml, for the
// test suite (`cargo xtask test` runs the Playwright sign-in, seats and
// create-account tests through it):
// - `/api/*` becomes an API Gateway HTTP API event (payload 2.0), invoked on
//   the Lambda runtime emulator (`cargo lambda watch --only-lambda-apis`),
//   whose answer becomes the HTTP response; as behind CloudFront, the
//   function sees this front's address and the client's in X-Forwarded-For;
// - everything else is a file of the built site, answered with the headers
//   the distribution's response headers policy and the upload's
//   Cache-Control give it; a path without a file extension answers
//   index.html (the app's routes), as the SpaRoutes function does, and a
//   missing file 403, as S3 does for CloudFront.
//
// Environment: FRONT_PORT, SITE_ROOT, LAMBDA_INVOKE_URL (the emulator's
// /2015-03-31/functions/<name>/invocations), ORIGIN_HEADER (the value the
// distribution adds as x-rollcall-origin, OriginSecret in the template).

import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';

const port = Number(process.env.FRONT_PORT);
const siteRoot = path.resolve(process.env.SITE_ROOT);
const invokeUrl = process.env.LAMBDA_INVOKE_URL;
const originHeader = process.env.ORIGIN_HEADER ?? '';

// deploy/template.yaml, SecurityHeaders (a CloudFront response headers policy).
const securityHeaders = {
  'content-security-policy':
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; " +
    "form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/// The event API Gateway's HTTP API sends for `req` (payload format 2.0).
function httpApiEvent(req, url, body) {
  const headers = {};
  let cookies;
  for (const [name, value] of Object.entries(req.headers)) {
    if (name === 'cookie') {
      cookies = String(value).split(/;\s*/).filter(Boolean);
    } else {
      headers[name] = Array.isArray(value) ? value.join(',') : String(value);
    }
  }
  const client = req.socket.remoteAddress.replace(/^::ffff:/, '');
  headers['x-forwarded-for'] = headers['x-forwarded-for']
    ? `${headers['x-forwarded-for']}, ${client}`
    : client;
  headers['x-forwarded-proto'] = 'http';
  // The origin request policy forwards every viewer header but Host: API
  // Gateway sees its own name.
  headers.host = 'local.execute-api.localhost';
  // OriginCustomHeaders: replaces whatever the viewer sent under that name.
  headers['x-rollcall-origin'] = originHeader;
  const text = body.length > 0 && /^(application\/json|text\/)/.test(headers['content-type'] ?? '');
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    cookies,
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      domainName: headers.host,
      domainPrefix: 'local',
      http: {
        method: req.method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        // The front's own address: the function reads the client's from
        // X-Forwarded-For, since ROLLCALL_TRUSTED_PROXIES names this front.
        sourceIp: '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: crypto.randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.length === 0 ? undefined : text ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: body.length > 0 && !text,
  };
}

async function api(req, res, url) {
  const event = httpApiEvent(req, url, await readBody(req));
  const answer = await fetch(invokeUrl, { method: 'POST', body: JSON.stringify(event) });
  const text = await answer.text();
  let out;
  try {
    out = JSON.parse(text);
  } catch {
    out = null;
  }
  if (!answer.ok || out === null || typeof out.statusCode !== 'number') {
    // API Gateway answers a failed invocation with a bare 500.
    console.error(`invocation failed (${answer.status}): ${text.slice(0, 500)}`);
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end('{"message":"Internal Server Error"}');
    return;
  }
  const headers = { ...(out.headers ?? {}) };
  for (const [name, values] of Object.entries(out.multiValueHeaders ?? {})) {
    headers[name] = values;
  }
  if (out.cookies && out.cookies.length > 0) {
    headers['set-cookie'] = out.cookies;
  }
  res.writeHead(out.statusCode, headers);
  const body = out.body ?? '';
  res.end(out.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}

async function file(req, res, url) {
  const relative = decodeURIComponent(url.pathname);
  const last = relative.split('/').pop();
  // SpaRoutes (a CloudFront function): no extension, the app's shell.
  const target = last.includes('.')
    ? path.join(siteRoot, relative)
    : path.join(siteRoot, 'index.html');
  if (!target.startsWith(siteRoot + path.sep)) {
    res.writeHead(400).end();
    return;
  }
  const stat = await fs.stat(target).catch(() => null);
  if (!stat?.isFile()) {
    // S3 answers CloudFront 403 for a key it does not have.
    res.writeHead(403, { 'content-type': 'application/xml' }).end('<Error><Code>AccessDenied</Code></Error>');
    return;
  }
  const bytes = await fs.readFile(target);
  const etag = `"${crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 32)}"`;
  const headers = {
    ...securityHeaders,
    'content-type': types[path.extname(target)] ?? 'application/octet-stream',
    // The upload's metadata (docs/deploy-aws.md): the content-hashed
    // modules under pkg/ are immutable, everything else revalidates.
    'cache-control': relative.startsWith('/pkg/')
      ? 'public, max-age=31536000, immutable'
      : 'no-cache',
    etag,
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

http
  .createServer((req, res) => {
    const url = new URL(req.url, 'http://front');
    const handle = url.pathname === '/api' || url.pathname.startsWith('/api/') ? api : file;
    handle(req, res, url).catch((e) => {
      console.error(e);
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
  })
  .listen(port, '127.0.0.1', () => console.log(`front on http://127.0.0.1:${port}`));
