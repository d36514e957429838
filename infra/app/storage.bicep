// The one storage account: the Functions host (AzureWebJobsStorage), the Durable task hub (queues, tables, blobs),
// the deployment package, and MailImport's own containers. Identity only: shared keys are off, so there is no
// connection string to leak or rotate.
param name string
param location string
param tags object
param deploymentContainerName string

@description('True keeps the public endpoint open beside the private endpoints (network.bicep); false lets the account be reached through those endpoints only.')
param allowPublicAccess bool

@minValue(31)
@description('Days after its last read or write that a blob of mailimport-batches is deleted.')
param batchRetentionDays int

@minValue(1)
@description('Days after it was written that a raw credential upload still in mailimport-uploads is deleted.')
param uploadRetentionDays int

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
    // The Function App reaches the account through its private endpoints (blob, queue, table; network.bicep), so
    // the public endpoint is closed unless allowPublicAccess asks to keep it for a first trial (Entra auth is then
    // the only gate). No trusted-service bypass: nothing but the app reads this account. A deployment still works
    // closed: azd hands the package to the app's deployment endpoint and the platform writes it into app-package
    // from inside the network, as in Microsoft's azd sample for Flex Consumption with VNET_ENABLED
    // (https://github.com/Azure-Samples/functions-quickstart-dotnet-azd).
    // https://learn.microsoft.com/en-us/azure/storage/common/storage-network-security
    // https://learn.microsoft.com/en-us/azure/azure-functions/functions-networking-options#restrict-your-storage-account-to-a-virtual-network
    publicNetworkAccess: allowPublicAccess ? 'Enabled' : 'Disabled'
    networkAcls: {
      defaultAction: allowPublicAccess ? 'Allow' : 'Deny'
      bypass: 'None'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' = {
  parent: account
  name: 'default'
  properties: {
    // Last access time tracking, so the batches rule below counts from a blob's last read as well as its last
    // write: a batch's manifest is written once and read on every re-run. Reads update the time at most once a day.
    // https://learn.microsoft.com/en-us/azure/storage/blobs/lifecycle-management-policy-configure#optionally-enable-access-time-tracking
    lastAccessTimeTrackingPolicy: {
      enable: true
      name: 'AccessTimeTracking'
      trackingGranularityInDays: 1
      blobType: ['blockBlob']
    }
  }
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

// Lifecycle management: the platform deletes what the app left behind. The app cleans up itself: it deletes a raw
// upload once its passwords are in the secret store (or its batch is closed), and it closes a batch that has been
// idle for 30 days (its default). These rules are the backstop for a blob the app lost track of, and they run
// once a day. https://learn.microsoft.com/en-us/azure/storage/blobs/lifecycle-management-overview
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2025-01-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          // A batch's blobs (batch.json, manifest.json, cursors/, report.json): batchRetentionDays (45 by default, at
          // least 31: longer than the app's 30-day idle close) after a blob was last read or written. Last access
          // rather than last modification, because a batch on a daily schedule is live for as long as it runs and
          // reads its manifest on every run but writes it only when a corrected file comes: counting writes alone
          // would delete the manifest of a batch in use from its 46th day. The schedule timer reads every batch.json
          // every five minutes, so a closed batch's record stays until the app removes it; what this rule removes is
          // the rest of a batch nobody has opened for batchRetentionDays.
          // https://learn.microsoft.com/en-us/azure/storage/blobs/lifecycle-management-overview#rule-actions
          name: 'delete-batches-after-last-access'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: ['blockBlob']
              prefixMatch: ['mailimport-batches/']
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterLastAccessTimeGreaterThan: batchRetentionDays
                }
              }
            }
          }
        }
        {
          // Raw credential files hold the sources' passwords. The first activity of a run moves them into the secret
          // store and deletes the file, minutes after the upload; one still there after uploadRetentionDays (2 by
          // default) belongs to a run that never started, and it is deleted by when it was written.
          name: 'delete-orphan-uploads'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: ['blockBlob']
              prefixMatch: ['mailimport-uploads/']
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterModificationGreaterThan: uploadRetentionDays
                }
              }
            }
          }
        }
      ]
    }
  }
  // The tracking policy must be on before a rule may use daysAfterLastAccessTimeGreaterThan.
  dependsOn: [blobService]
}

output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output queueEndpoint string = account.properties.primaryEndpoints.queue
output tableEndpoint string = account.properties.primaryEndpoints.table
output deploymentContainerName string = deploymentContainerName
