// The Function App's user-assigned identity: everything the app reaches (storage, Key Vault, Application Insights,
// the deployment container) it reaches as this identity, granted in rbac.bicep. User-assigned rather than
// system-assigned so the roles exist before the app does.
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
