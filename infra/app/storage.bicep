// The one storage account: the Functions host (AzureWebJobsStorage), the Durable task hub (queues, tables, blobs),
// the deployment package, and MailImport's own containers. Identity only: shared keys are off, so there is no
// connection string to leak or rotate.
param name string
param location string
param tags object
param deploymentContainerName string

// MailImport's containers (BatchStorage.UploadsContainer and BatchesContainer). The app would create them itself;
// declaring them here makes a fresh deployment complete and shows what the account holds.
var containerNames = [
  deploymentContainerName
  'mailimport-uploads'
  'mailimport-batches'
]

resource account 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    accessTier: 'Hot'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      // Flex Consumption without a VNet reaches storage over its public endpoint; Entra auth is the gate.
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' = {
  parent: account
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = [
  for containerName in containerNames: {
    parent: blobService
    name: containerName
    properties: {
      publicAccess: 'None'
    }
  }
]

output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output queueEndpoint string = account.properties.primaryEndpoints.queue
output tableEndpoint string = account.properties.primaryEndpoints.table
output deploymentContainerName string = deploymentContainerName
