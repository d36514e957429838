// Key Vault for secrets the app reads and writes at run time: the Yandex 360 OAuth token (put in by the admin after
// deployment) and the source mailboxes' passwords of a batch (set and deleted by the app). Access is by Azure RBAC
// only (rbac.bicep); there are no access policies.
param name string
param location string
param tags object

@description('True keeps the public endpoint open to every address beside the private endpoint (network.bicep).')
param allowPublicAccess bool

@description('Addresses (IPv4, or CIDR ranges) let through the firewall of an otherwise closed vault: the admin\'s, to put the Yandex 360 token in.')
param allowedIpRanges array

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    // Soft delete keeps a deleted secret (or vault) recoverable for 7 days. Purge protection stays off so that
    // `azd down --purge` can remove a test environment completely; turn it on for a long-lived production vault.
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    // The Function App reaches the vault through its private endpoint (network.bicep). The public endpoint is closed,
    // unless allowPublicAccess keeps it open for a first trial, or allowedIpRanges names the addresses it admits (the
    // firewall denies the rest): the admin stores the Yandex 360 token from their own machine. No trusted-service
    // bypass: no Azure service reads this vault for MailImport.
    // https://learn.microsoft.com/en-us/azure/key-vault/general/network-security
    publicNetworkAccess: allowPublicAccess || !empty(allowedIpRanges) ? 'Enabled' : 'Disabled'
    networkAcls: {
      defaultAction: allowPublicAccess ? 'Allow' : 'Deny'
      bypass: 'None'
      ipRules: [for range in allowedIpRanges: { value: range }]
    }
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
