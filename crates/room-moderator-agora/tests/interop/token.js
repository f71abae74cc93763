// Prints an Agora Chat app token built by Agora's official builder (npm agora-token).
// Usage: node token.js APP_ID APP_CERTIFICATE EXPIRE [ISSUE_TS SALT]
// With ISSUE_TS and SALT the builder's clock and random salt are replaced, so that the same inputs
// give the same token in any builder.
'use strict'
const { AccessToken2, ServiceChat } = require('agora-token/src/AccessToken2')
const { ChatTokenBuilder } = require('agora-token')

const [appId, certificate, expireText, issueTs, salt] = process.argv.slice(2)
const expire = Number(expireText)
if (issueTs === undefined) {
  process.stdout.write(ChatTokenBuilder.buildAppToken(appId, certificate, expire) + '\n')
} else {
  // The same steps as ChatTokenBuilder.buildAppToken, with the two inputs injected.
  const token = new AccessToken2(appId, certificate, Number(issueTs), expire)
  token.salt = Number(salt)
  const service = new ServiceChat()
  service.add_privilege(ServiceChat.kPrivilegeApp, expire)
  token.add_service(service)
  process.stdout.write(token.build() + '\n')
}
