// Key Vault for secrets the app reads and writes at run time: the Yandex 360 OAuth token (put in by the admin after
// deployment) and the source mailboxes' passwords of a batch (set and deleted by the app). Access is by Azure RBAC
// only (rbac.bicep); there are no access policies.
param name string
param location string
param tags object

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
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
